import type { Platform } from './index-types.js';

/**
 * Platform for a plain browser (development and end-to-end tests): the server is the page's
 * origin. A browser tab has no keychain: refresh tokens stay in memory (a reload asks for the
 * password again); the offline sign-in record (a password verifier and the signed ticket, no
 * secret the server would accept) persists in localStorage so offline sign-in can be exercised.
 */
export function createWebPlatform(): Platform {
  const memory = new Map<string, string>();
  const persistent = (key: string) => key.startsWith('offline');
  const secrets = {
    get: (key: string) =>
      persistent(key) ? localStorage.getItem(`bulkhead.secret.${key}`) : (memory.get(key) ?? null),
    set: (key: string, value: string) =>
      persistent(key) ? localStorage.setItem(`bulkhead.secret.${key}`, value) : void memory.set(key, value),
    delete: (key: string) =>
      persistent(key) ? localStorage.removeItem(`bulkhead.secret.${key}`) : void memory.delete(key),
  };
  const params = new URLSearchParams(globalThis.location?.search ?? '');
  const lang = params.get('lang');
  return {
    kind: 'web',
    getConfig: () =>
      Promise.resolve({
        serverUrl: globalThis.location.origin,
        locale: lang === 'zh-CN' || lang === 'en' ? lang : null,
      }),
    getSecret: (key) => Promise.resolve(secrets.get(key)),
    setSecret: (key, value) => {
      secrets.set(key, value);
      return Promise.resolve();
    },
    updateStatus: () => Promise.resolve({ state: 'disabled', reason: 'not-packaged' }),
    installUpdate: () => Promise.reject(new Error('[update-not-ready] no updater outside the desktop app')),
    deleteSecret: (key) => {
      secrets.delete(key);
      return Promise.resolve();
    },
  };
}
