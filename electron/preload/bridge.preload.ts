/**
 * The preload: exposes exactly one frozen object, `window.bulkhead`, whose shape is the
 * shared BulkheadBridge type. Each method is one `ipcRenderer.invoke` on a fixed channel —
 * never ipcRenderer itself or a generic invoke, so the page cannot reach any other channel.
 *
 * It runs in a sandboxed preload, where `require` knows only a few modules: the bundle must
 * need nothing but 'electron'. Hence the shared contract is imported for types only (a value
 * import would pull zod into the bundle).
 */
import { contextBridge, ipcRenderer } from 'electron';
import type {
  BRIDGE_GLOBAL,
  BulkheadBridge,
  IpcChannel,
  IpcPayload,
  IpcResult,
} from '../../shared/ipc/contract.js';

const bridgeGlobal: typeof BRIDGE_GLOBAL = 'bulkhead';

// Main validates payload and result with zod; here the types only keep the calls honest.
const invoke = <C extends IpcChannel>(channel: C, payload: IpcPayload<C>): Promise<IpcResult<C>> =>
  ipcRenderer.invoke(channel, payload) as Promise<IpcResult<C>>;

const bridge = {
  getConfig: () => invoke('config:get', undefined),
  getSecret: (key: string) => invoke('secret:get', { key }),
  setSecret: (key: string, value: string) => invoke('secret:set', { key, value }),
  deleteSecret: (key: string) => invoke('secret:delete', { key }),
  appInfo: () => invoke('app:info', undefined),
  updateStatus: () => invoke('update:status', undefined),
  installUpdate: () => invoke('update:install', undefined),
} satisfies BulkheadBridge;

contextBridge.exposeInMainWorld(bridgeGlobal, Object.freeze(bridge));
