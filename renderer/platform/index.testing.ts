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
    deleteSecret: (key) => {
      secrets.delete(key);
      return Promise.resolve();
    },
  };
}
