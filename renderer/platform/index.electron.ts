import { BRIDGE_GLOBAL, type BulkheadBridge } from '../../shared/ipc/contract.js';
import type { Platform } from './index-types.js';

/** Platform over the preload bridge; every call is validated again in main. */
export function createElectronPlatform(bridge: BulkheadBridge): Platform {
  return {
    kind: 'electron',
    getConfig: () => bridge.getConfig(),
    getSecret: (key) => bridge.getSecret(key),
    setSecret: (key, value) => bridge.setSecret(key, value),
    deleteSecret: (key) => bridge.deleteSecret(key),
    updateStatus: () => bridge.updateStatus(),
    installUpdate: () => bridge.installUpdate(),
  };
}

/** The bridge, if the preload exposed one. */
export function findBridge(): BulkheadBridge | null {
  const candidate = (globalThis as Record<string, unknown>)[BRIDGE_GLOBAL];
  return candidate ? (candidate as BulkheadBridge) : null;
}
