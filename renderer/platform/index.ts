import type { Platform } from './index-types.js';
import { createElectronPlatform, findBridge } from './index.electron.js';
import { createWebPlatform } from './index.web.js';

export type { Platform } from './index-types.js';

let current: Platform | null = null;

/** The host platform: the Electron bridge when the preload exposed it, otherwise the browser. */
export function platform(): Platform {
  if (current === null) {
    const bridge = findBridge();
    current = bridge ? createElectronPlatform(bridge) : createWebPlatform();
  }
  return current;
}

/** Replace the platform (unit tests pass the testing platform). */
export function setPlatform(p: Platform): void {
  current = p;
}
