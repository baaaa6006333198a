/**
 * Bundles the REAL preload with esbuild, exactly as the build does, and runs it in a fresh VM
 * context — wrapped in a function the way Electron runs a sandboxed preload — to check what
 * the page would see on `window.bulkhead`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildElectron } from '../../../scripts/build-electron.js';
import { BRIDGE_GLOBAL } from '../../../shared/ipc/contract.js';
import type { BulkheadBridge } from '../../../shared/ipc/contract.js';
import { SHIM_HOST_GLOBAL } from './electron-shim.js';
import type { ShimHost } from './electron-shim.js';

const SHIM_PATH = fileURLToPath(new URL('./electron-shim.ts', import.meta.url));

/** The bridge methods BulkheadBridge declares (a Record keyed by them fails to compile if one is missing). */
const BRIDGE_METHODS: Record<keyof BulkheadBridge, true> = {
  getConfig: true,
  getSecret: true,
  setSecret: true,
  deleteSecret: true,
  appInfo: true,
  updateStatus: true,
  installUpdate: true,
};

let outdir: string;
let shimmedCode: string;
let productionCode: string;

beforeAll(async () => {
  outdir = await mkdtemp(nodePath.join(tmpdir(), 'bulkhead-preload-'));
  const shimmed = await buildElectron({
    outdir: nodePath.join(outdir, 'shimmed'),
    electronShim: SHIM_PATH,
    targets: ['preload'],
  });
  shimmedCode = await readFile(shimmed.preloadFile!, 'utf8');
  const production = await buildElectron({
    outdir: nodePath.join(outdir, 'production'),
    targets: ['preload'],
  });
  productionCode = await readFile(production.preloadFile!, 'utf8');
}, 30_000);

afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

/** Runs preload code like Electron's sandbox: inside a function, with a restricted require. */
function runPreload(code: string, globals: Record<string, unknown>, require: (id: string) => unknown) {
  const context = vm.createContext({ ...globals });
  const before = Object.keys(context).sort();
  const wrapper = vm.runInContext(`(function (require, module, exports) {${code}\n})`, context, {
    filename: 'preload.cjs',
  }) as (require: (id: string) => unknown, module: { exports: unknown }, exports: unknown) => void;
  const module = { exports: {} };
  wrapper(require, module, module.exports);
  return {
    context,
    globalsAdded: Object.keys(context)
      .sort()
      .filter((key) => !before.includes(key)),
  };
}

function shimHost(): ShimHost {
  return {
    exposed: [],
    invocations: [],
    reply: (channel) =>
      channel === 'secret:get'
        ? 'token'
        : channel === 'app:info'
          ? { version: '1', platform: 'x' }
          : undefined,
  };
}

const refuseRequire = (id: string): never => {
  throw new Error(`sandboxed preload may not require "${id}"`);
};

describe('preload bundle (electron aliased to the test shim)', () => {
  it('exposes exactly one key, "bulkhead", frozen, with exactly the bridge methods', () => {
    const host = shimHost();
    const { globalsAdded } = runPreload(shimmedCode, { [SHIM_HOST_GLOBAL]: host }, refuseRequire);
    expect(globalsAdded).toEqual([]);
    expect(host.exposed).toHaveLength(1);
    const [{ key, api }] = host.exposed as [{ key: string; api: Record<string, unknown> }];
    expect(key).toBe(BRIDGE_GLOBAL);
    expect(key).toBe('bulkhead');
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(Object.keys(BRIDGE_METHODS).sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    // Nothing else that could reach IPC is on the object.
    expect(api).not.toHaveProperty('invoke');
    expect(api).not.toHaveProperty('ipcRenderer');
    expect(api).not.toHaveProperty('send');
    expect(host.invocations).toEqual([]);
  });

  it('each method invokes its channel with the right payload', async () => {
    const host = shimHost();
    runPreload(shimmedCode, { [SHIM_HOST_GLOBAL]: host }, refuseRequire);
    const bridge = host.exposed[0]!.api as BulkheadBridge;

    await bridge.getConfig();
    await expect(bridge.getSecret('refresh:u1')).resolves.toBe('token');
    await bridge.setSecret('refresh:u1', 'value');
    await bridge.deleteSecret('refresh:u1');
    await expect(bridge.appInfo()).resolves.toEqual({ version: '1', platform: 'x' });
    await bridge.updateStatus();
    await bridge.installUpdate();

    expect(host.invocations).toEqual([
      { channel: 'config:get', args: [undefined] },
      { channel: 'secret:get', args: [{ key: 'refresh:u1' }] },
      { channel: 'secret:set', args: [{ key: 'refresh:u1', value: 'value' }] },
      { channel: 'secret:delete', args: [{ key: 'refresh:u1' }] },
      { channel: 'app:info', args: [undefined] },
      { channel: 'update:status', args: [undefined] },
      { channel: 'update:install', args: [undefined] },
    ]);
  });

  it('freezing means the page cannot swap a method', () => {
    const host = shimHost();
    runPreload(shimmedCode, { [SHIM_HOST_GLOBAL]: host }, refuseRequire);
    const api = host.exposed[0]!.api as Record<string, unknown>;
    expect(() => {
      'use strict';
      api['getSecret'] = () => 'stolen';
    }).toThrow(TypeError);
  });
});

describe('preload bundle (production build)', () => {
  it('requires only "electron", as a sandboxed preload must, and bundles no zod', () => {
    const required: string[] = [];
    const exposed: string[] = [];
    runPreload(productionCode, {}, (id) => {
      required.push(id);
      if (id !== 'electron') return refuseRequire(id);
      return {
        contextBridge: { exposeInMainWorld: (key: string) => exposed.push(key) },
        ipcRenderer: { invoke: () => Promise.resolve(undefined) },
      };
    });
    expect(required).toEqual(['electron']);
    expect(exposed).toEqual(['bulkhead']);
    expect(productionCode).not.toMatch(/zod|ZodError/);
    expect(productionCode.length).toBeLessThan(4000);
  });
});
