/**
 * Stand-in for the `electron` module, bundled into the real preload by the preload-bundle
 * test. It records what the preload does on a host object the test puts on the VM context's
 * global, so nothing here depends on the test realm.
 */

/** Name of the global through which the test hands the shim its recorder. */
export const SHIM_HOST_GLOBAL = '__bulkheadElectronShim';

/** What the shim records, and how it answers invoke calls. */
export type ShimHost = {
  readonly exposed: { key: string; api: unknown }[];
  readonly invocations: { channel: string; args: unknown[] }[];
  readonly reply: (channel: string, args: unknown[]) => unknown;
};

function host(): ShimHost {
  const found = (globalThis as Record<string, unknown>)[SHIM_HOST_GLOBAL];
  if (found === undefined) throw new Error(`electron shim: globalThis.${SHIM_HOST_GLOBAL} is not set`);
  return found as ShimHost;
}

/** Fake contextBridge: records every exposure. */
export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    host().exposed.push({ key, api });
  },
};

/** Fake ipcRenderer: only invoke exists, so any other use by the preload fails the test. */
export const ipcRenderer = {
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    host().invocations.push({ channel, args });
    return Promise.resolve(host().reply(channel, args));
  },
};
