import type { RendererConfig } from '../../shared/ipc/contract.js';
import type { Platform } from './index-types.js';

/** In-memory platform for unit tests of renderer modules. */
export function createTestingPlatform(config: RendererConfig): Platform & { secrets: Map<string, string> } {
  const secrets = new Map<string, string>();
  return {
    kind: 'testing',
    secrets,
    getConfig: () => Promise.resolve(config),
    getSecret: (key) => Promise.resolve(secrets.get(key) ?? null),
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
