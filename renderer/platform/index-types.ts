import type { RendererConfig, UpdateStatus } from '../../shared/ipc/contract.js';

/** What the renderer needs from its host (Electron bridge, plain browser, or tests). */
export type Platform = {
  readonly kind: 'electron' | 'web' | 'testing';
  /** Machine configuration: server URL and default locale. */
  getConfig(): Promise<RendererConfig>;
  /** Secret storage (refresh tokens). Electron keeps it in the OS keychain via safeStorage. */
  getSecret(key: string): Promise<string | null>;
  setSecret(key: string, value: string): Promise<void>;
  deleteSecret(key: string): Promise<void>;
  /** State of the desktop auto-updater (`disabled` outside a packaged Electron app). */
  updateStatus(): Promise<UpdateStatus>;
  /** Quit and install a downloaded update (only when `ready`). */
  installUpdate(): Promise<void>;
};
