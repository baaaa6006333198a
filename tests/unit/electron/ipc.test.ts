import { describe, expect, it, vi } from 'vitest';
import { IPC } from '../../../shared/ipc/contract.js';
import {
  IPC_CHANNELS,
  IpcError,
  createIpcHandlers,
  registerIpcHandlers,
} from '../../../electron/main/ipc.main.js';
import type { IpcHandlers, SenderGuard } from '../../../electron/main/ipc.main.js';
import { isTrustedSender } from '../../../electron/main/security.js';

import { FakeIpcMain, ipcEvent } from './fakes.js';

const KEY = 'refresh:user-1';

function setup(overrides: Partial<IpcHandlers> = {}) {
  const handlers = {
    'config:get': vi.fn(() => ({ serverUrl: 'http://127.0.0.1:8787', locale: null })),
    'secret:get': vi.fn(() => Promise.resolve('token')),
    'secret:set': vi.fn(() => Promise.resolve()),
    'secret:delete': vi.fn(() => Promise.resolve()),
    'app:info': vi.fn(() => ({ version: '0.1.0', platform: 'linux' })),
    'update:status': vi.fn(() => ({ state: 'idle' as const })),
    'update:install': vi.fn(),
    ...overrides,
  };
  const ipcMain = new FakeIpcMain();
  const guard: SenderGuard = (event) => isTrustedSender(event, { id: 1 });
  const unregister = registerIpcHandlers(ipcMain, handlers, guard);
  return { ipcMain, handlers, unregister };
}

const trusted = ipcEvent({});

describe('registerIpcHandlers', () => {
  it('registers exactly the contract channels, and unregisters them', () => {
    const { ipcMain, unregister } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(Object.keys(IPC).sort());
    expect([...IPC_CHANNELS].sort()).toEqual(Object.keys(IPC).sort());
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('valid calls reach the handler and return its result', async () => {
    const { ipcMain, handlers } = setup();
    await expect(ipcMain.invoke('config:get', trusted)).resolves.toEqual({
      serverUrl: 'http://127.0.0.1:8787',
      locale: null,
    });
    await expect(ipcMain.invoke('secret:get', trusted, { key: KEY })).resolves.toBe('token');
    expect(handlers['secret:get']).toHaveBeenCalledExactlyOnceWith({ key: KEY });
    await expect(ipcMain.invoke('secret:set', trusted, { key: KEY, value: 'v' })).resolves.toBeUndefined();
    expect(handlers['secret:set']).toHaveBeenCalledExactlyOnceWith({ key: KEY, value: 'v' });
    await expect(ipcMain.invoke('secret:delete', trusted, { key: KEY })).resolves.toBeUndefined();
    await expect(ipcMain.invoke('app:info', trusted)).resolves.toEqual({
      version: '0.1.0',
      platform: 'linux',
    });
  });

  it.each([
    ['another webContents', ipcEvent({ senderId: 7 })],
    ['a subframe', ipcEvent({ isMainFrame: false })],
    ['another origin', ipcEvent({ origin: 'https://evil.example' })],
    ['a destroyed frame', ipcEvent({ frame: null })],
  ])('rejects %s with untrusted-sender and runs nothing', async (_name, event) => {
    const { ipcMain, handlers } = setup();
    for (const channel of IPC_CHANNELS) {
      const error = await ipcMain.invoke(channel, event, { key: KEY, value: 'v' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IpcError);
      expect((error as IpcError).code).toBe('untrusted-sender');
      expect((error as IpcError).message).toMatch(/^\[untrusted-sender\]/);
    }
    for (const handler of Object.values(handlers)) expect(handler).not.toHaveBeenCalled();
  });

  it.each([
    ['secret:get', [{ key: 'password' }]],
    ['secret:get', [{ key: '../../etc' }]],
    ['secret:get', [{ key: KEY, extra: 1 }]],
    ['secret:get', ['refresh:user-1']],
    ['secret:get', []],
    ['secret:set', [{ key: KEY, value: '' }]],
    ['secret:set', [{ key: KEY, value: 'x'.repeat(4097) }]],
    ['secret:set', [{ key: KEY }]],
    ['secret:delete', [{ key: 42 }]],
    ['config:get', [{ anything: true }]],
    ['app:info', ['x']],
    ['secret:get', [{ key: KEY }, 'extra argument']],
  ] as const)('%s with malformed payload %j → bad-payload, handler not called', async (channel, args) => {
    const { ipcMain, handlers } = setup();
    const error = await ipcMain.invoke(channel, trusted, ...args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcError);
    expect((error as IpcError).code).toBe('bad-payload');
    expect((error as IpcError).channel).toBe(channel);
    expect(handlers[channel]).not.toHaveBeenCalled();
  });

  it('a handler returning a value outside the contract is refused with bad-result', async () => {
    const { ipcMain } = setup({
      'config:get': () => ({ serverUrl: 'not a url', locale: null }),
    });
    const error = await ipcMain.invoke('config:get', trusted).catch((e: unknown) => e);
    expect((error as IpcError).code).toBe('bad-result');
  });

  it('a handler failure keeps its coded message under handler-failed', async () => {
    const { ipcMain } = setup({
      'secret:set': () => Promise.reject(new Error('[encryption-unavailable] no keychain')),
    });
    const error = await ipcMain
      .invoke('secret:set', trusted, { key: KEY, value: 'v' })
      .catch((e: unknown) => e);
    expect((error as IpcError).code).toBe('handler-failed');
    expect((error as IpcError).message).toContain('[encryption-unavailable] no keychain');
  });
});

describe('createIpcHandlers', () => {
  it('maps channels to config, secret store and app info', async () => {
    const secrets = {
      get: vi.fn(() => Promise.resolve('t')),
      set: vi.fn(() => Promise.resolve()),
      delete: vi.fn(() => Promise.resolve()),
    };
    const updates = {
      status: vi.fn(() => ({ state: 'ready' as const, version: '1.3.0' })),
      install: vi.fn(),
    };
    const handlers = createIpcHandlers({
      rendererConfig: { serverUrl: 'https://wms.example.com/', locale: 'zh-CN' },
      secrets,
      appInfo: { version: '1.2.3', platform: 'win32' },
      updates,
    });
    expect(await handlers['config:get'](undefined)).toEqual({
      serverUrl: 'https://wms.example.com/',
      locale: 'zh-CN',
    });
    expect(await handlers['secret:get']({ key: KEY })).toBe('t');
    await handlers['secret:set']({ key: KEY, value: 'v' });
    expect(secrets.set).toHaveBeenCalledWith(KEY, 'v');
    await handlers['secret:delete']({ key: KEY });
    expect(secrets.delete).toHaveBeenCalledWith(KEY);
    expect(await handlers['app:info'](undefined)).toEqual({ version: '1.2.3', platform: 'win32' });
    expect(await handlers['update:status'](undefined)).toEqual({ state: 'ready', version: '1.3.0' });
    await handlers['update:install'](undefined);
    expect(updates.install).toHaveBeenCalledTimes(1);
  });

  it('update:status results are checked against the contract, update:install errors keep their code', async () => {
    const { ipcMain } = setup({
      'update:status': vi.fn(() => ({ state: 'downloading', version: '2.0.0', percent: 140 }) as never),
      'update:install': vi.fn(() => {
        throw new Error('[update-not-ready] no update has been downloaded');
      }),
    });
    await expect(ipcMain.invoke('update:status', trusted)).rejects.toMatchObject({ code: 'bad-result' });
    const error = await ipcMain.invoke('update:install', trusted).catch((e: unknown) => e);
    expect((error as IpcError).code).toBe('handler-failed');
    expect((error as IpcError).message).toContain('[update-not-ready]');
    await expect(ipcMain.invoke('update:status', ipcEvent({ senderId: 7 }))).rejects.toMatchObject({
      code: 'untrusted-sender',
    });
  });
});
