import type { Platform } from './index-types.js';

/**
 * Platform for a plain browser (development and end-to-end tests): the server is the page's
 * origin. Secrets stay in memory only — a browser tab has no keychain, so a reload asks for the
 * password again rather than leaving a refresh token in web storage.
 */
export function createWebPlatform(): Platform {
  const secrets = new Map<string, string>();
  const params = new URLSearchParams(globalThis.location?.search ?? '');
  const lang = params.get('lang');
  return {
    kind: 'web',
    getConfig: () =>
      Promise.resolve({
        serverUrl: globalThis.location.origin,
        locale: lang === 'zh-CN' || lang === 'en' ? lang : null,
      }),
    getSecret: (key) => Promise.resolve(secrets.get(key) ?? null),
    setSecret: (key, value) => {
      secrets.set(key, value);
      return Promise.resolve();
    },
    deleteSecret: (key) => {
      secrets.delete(key);
      return Promise.resolve();
    },
  };
}
