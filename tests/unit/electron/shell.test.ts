import { describe, expect, it, vi } from 'vitest';
import { runMain } from '../../../electron/main/shell.main.js';
import type { MainDeps, ShellWindow } from '../../../electron/main/shell.main.js';
import { APP_ENTRY_URL, SECURE_WEB_PREFERENCES, buildCsp } from '../../../electron/main/security.js';
import {
  FakeEmitter,
  FakeIpcMain,
  FakeSession,
  FakeUpdater,
  FakeWebContents,
  ManualTimers,
  fakeEvent,
  ipcEvent,
} from './fakes.js';

class FakeWindow extends FakeEmitter {
  readonly webContents: FakeWebContents;
  minimized = false;
  readonly loadURL = vi.fn((_url: string) => Promise.resolve());
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  readonly show = vi.fn();

  constructor(
    id: number,
    readonly options: unknown,
  ) {
    super();
    this.webContents = new FakeWebContents(id);
  }

  isMinimized(): boolean {
    return this.minimized;
  }
}

function setup(options: { lock?: boolean; platform?: NodeJS.Platform; files?: Record<string, string> } = {}) {
  const app = Object.assign(new FakeEmitter(), {
    isPackaged: true,
    requestSingleInstanceLock: vi.fn(() => options.lock ?? true),
    quit: vi.fn(),
    enableSandbox: vi.fn(),
    whenReady: vi.fn(() => readyPromise),
    getPath: vi.fn((_name: string) => '/userData'),
    getAppPath: () => '/app',
    getVersion: () => '0.1.0',
  });
  let markReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const calls: string[] = [];
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
  const protocol = {
    registerSchemesAsPrivileged: vi.fn(() => calls.push('registerSchemesAsPrivileged')),
    handle: vi.fn((scheme: string, handler: (request: Request) => Promise<Response>) => {
      calls.push('protocol.handle');
      protocolHandlers.set(scheme, handler);
    }),
  };
  const session = new FakeSession();
  const ipcMain = new FakeIpcMain();
  const windows: FakeWindow[] = [];
  const files = options.files ?? {};
  const log = vi.fn();
  const openExternal = vi.fn(() => Promise.resolve());
  const updaters: FakeUpdater[] = [];
  const timers = new ManualTimers();
  const deps = {
    app,
    protocol,
    getSession: () => session,
    ipcMain,
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (text: string) => Buffer.from(text).reverse(),
      decryptString: (data: Buffer) => Buffer.from(data).reverse().toString(),
    },
    shell: { openExternal },
    createWindow: (windowOptions: unknown) => {
      const window = new FakeWindow(windows.length + 1, windowOptions);
      windows.push(window);
      return window as unknown as ShellWindow;
    },
    platform: options.platform ?? 'linux',
    env: {},
    fs: {
      readConfig: (filePath: string) => Promise.resolve(files[filePath] ?? null),
      readAsset: (filePath: string) =>
        filePath in files
          ? Promise.resolve(new TextEncoder().encode(files[filePath]))
          : Promise.reject(new Error('ENOENT')),
      secretIo: { read: () => Promise.resolve(null), write: () => Promise.resolve() },
    },
    log,
    createUpdater: () => {
      const updater = new FakeUpdater();
      updaters.push(updater);
      return updater;
    },
    timers,
  };
  const handle = runMain(deps as unknown as MainDeps);
  return {
    handle,
    app,
    protocol,
    protocolHandlers,
    session,
    ipcMain,
    windows,
    calls,
    log,
    openExternal,
    markReady,
    updaters,
    timers,
  };
}

describe('runMain', () => {
  it('quits at once when the single-instance lock is held by another instance', async () => {
    const { handle, app, protocol, windows } = setup({ lock: false });
    expect(app.quit).toHaveBeenCalledTimes(1);
    expect(app.enableSandbox).not.toHaveBeenCalled();
    expect(app.whenReady).not.toHaveBeenCalled();
    expect(protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
    await expect(handle.started).resolves.toBe('second-instance-quit');
    expect(windows).toEqual([]);
  });

  it('before ready: sandbox on, app scheme privileged; nothing served yet', () => {
    const { app, protocol, windows } = setup();
    expect(app.enableSandbox).toHaveBeenCalledTimes(1);
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledExactlyOnceWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(protocol.handle).not.toHaveBeenCalled();
    expect(windows).toEqual([]);
  });

  it('on ready: hardens the session, serves the renderer, opens a locked-down window, wires IPC', async () => {
    const { handle, markReady, session, protocolHandlers, windows, ipcMain, calls } = setup({
      files: { '/app/dist/renderer/index.html': '<!doctype html><p>app</p>' },
    });
    markReady();
    await expect(handle.started).resolves.toBe('app-loaded');
    expect(calls).toEqual(['registerSchemesAsPrivileged', 'protocol.handle']);

    expect(session.permissionRequestHandler).not.toBeNull();
    const headers = vi.fn();
    session.headersListener?.({ url: 'app://bulkhead/index.html', responseHeaders: {} }, headers);
    expect(headers).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Security-Policy': [buildCsp('http://127.0.0.1:8787')] },
    });

    const served = await protocolHandlers.get('app')!(new Request('app://bulkhead/index.html'));
    expect(served.status).toBe(200);
    expect(await served.text()).toContain('<p>app</p>');

    expect(windows).toHaveLength(1);
    const window = windows[0]!;
    expect(window.options).toMatchObject({
      show: false,
      webPreferences: { ...SECURE_WEB_PREFERENCES, preload: '/app/dist/electron/preload.cjs' },
    });
    expect(window.loadURL).toHaveBeenCalledExactlyOnceWith(APP_ENTRY_URL);
    expect(window.webContents.windowOpenHandler).toBeDefined();
    const navigation = fakeEvent({ url: 'https://evil.example/' });
    window.webContents.emit('will-navigate', navigation);
    expect(navigation.defaultPrevented).toBe(true);

    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalled();

    await expect(
      ipcMain.invoke('config:get', ipcEvent({ senderId: window.webContents.id })),
    ).resolves.toEqual({
      serverUrl: 'http://127.0.0.1:8787',
      locale: null,
    });
    await expect(ipcMain.invoke('app:info', ipcEvent({ senderId: window.webContents.id }))).resolves.toEqual({
      version: '0.1.0',
      platform: 'linux',
    });
    await expect(ipcMain.invoke('config:get', ipcEvent({ senderId: 99 }))).rejects.toMatchObject({
      code: 'untrusted-sender',
    });

    // Once the window is closed nothing is trusted any more.
    window.emit('closed');
    await expect(
      ipcMain.invoke('config:get', ipcEvent({ senderId: window.webContents.id })),
    ).rejects.toMatchObject({
      code: 'untrusted-sender',
    });
  });

  it('second instance focuses (and restores) the existing window', async () => {
    const { handle, markReady, app, windows } = setup();
    app.emit('second-instance', fakeEvent({}), [], '/');
    markReady();
    await handle.started;
    windows[0]!.minimized = true;
    app.emit('second-instance', fakeEvent({}), [], '/');
    expect(windows[0]!.restore).toHaveBeenCalledTimes(1);
    expect(windows[0]!.focus).toHaveBeenCalledTimes(1);
    expect(windows).toHaveLength(1);
  });

  it.each([
    ['linux', 1],
    ['win32', 1],
    ['darwin', 0],
  ] as const)('window-all-closed on %s quits %d time(s)', (platform, quits) => {
    const { app } = setup({ platform });
    app.emit('window-all-closed');
    expect(app.quit).toHaveBeenCalledTimes(quits);
  });

  it('hardens every other webContents that gets created', () => {
    const { app } = setup();
    const other = new FakeWebContents(42);
    app.emit('web-contents-created', fakeEvent({}), other);
    expect(other.windowOpenHandler?.({ url: 'app://bulkhead/x' })).toEqual({ action: 'deny' });
    const event = fakeEvent({});
    other.emit('will-attach-webview', event, {}, {});
    expect(event.defaultPrevented).toBe(true);
  });

  it('an invalid machine config shows an error page and wires no IPC', async () => {
    const { handle, markReady, protocolHandlers, ipcMain, windows, log } = setup({
      files: { '/etc/bulkhead/config.json': '{"serverUrl":"wms"}' },
    });
    markReady();
    await expect(handle.started).resolves.toBe('config-error-shown');
    expect(ipcMain.handlers.size).toBe(0);
    expect(windows[0]!.loadURL).toHaveBeenCalledWith(APP_ENTRY_URL);
    const page = await protocolHandlers.get('app')!(new Request(APP_ENTRY_URL));
    const html = await page.text();
    expect(html).toContain('/etc/bulkhead/config.json');
    expect(html).toContain('field &#34;serverUrl&#34;');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(log).toHaveBeenCalledWith(expect.stringContaining('config-invalid'));
  });

  it('an invalid update setting in the machine config becomes the error screen message', async () => {
    const { handle, markReady, protocolHandlers, ipcMain, updaters } = setup({
      files: {
        '/etc/bulkhead/config.json': '{"serverUrl":"https://wms.example.com","updateChannel":"nightly"}',
      },
    });
    markReady();
    await expect(handle.started).resolves.toBe('config-error-shown');
    const html = await (await protocolHandlers.get('app')!(new Request(APP_ENTRY_URL))).text();
    expect(html).toContain('Bulkhead cannot start: configuration error');
    expect(html).toContain('Config file /etc/bulkhead/config.json is invalid: field &#34;updateChannel&#34;');
    expect(ipcMain.handlers.size).toBe(0);
    expect(updaters).toHaveLength(0);
  });

  it('updates: configured from the machine config, started after the window loads, exposed over IPC', async () => {
    const { handle, markReady, updaters, timers, ipcMain, windows } = setup({
      files: {
        '/etc/bulkhead/config.json':
          '{"serverUrl":"https://wms.example.com","updateChannel":"beta","updateAllowDowngrade":true}',
      },
    });
    markReady();
    await expect(handle.started).resolves.toBe('app-loaded');
    expect(updaters).toHaveLength(1);
    const updater = updaters[0]!;
    expect(updater.feed).toEqual({
      provider: 'generic',
      url: 'https://wms.example.com/updates/',
      channel: 'beta',
    });
    expect(updater.allowDowngrade).toBe(true);
    expect(updater.autoDownload).toBe(true);
    expect(timers.timeouts).toHaveLength(1);
    expect(timers.intervals).toHaveLength(1);

    const sender = ipcEvent({ senderId: windows[0]!.webContents.id });
    await expect(ipcMain.invoke('update:status', sender)).resolves.toEqual({ state: 'idle' });
    updater.emit('update-downloaded', { version: '0.2.0' });
    await expect(ipcMain.invoke('update:status', sender)).resolves.toEqual({
      state: 'ready',
      version: '0.2.0',
    });
    await ipcMain.invoke('update:install', sender);
    expect(updater.installs).toEqual([[false, true]]);
  });

  it('updates off in the machine config: no updater is created, status says why', async () => {
    const { handle, markReady, updaters, timers, ipcMain, windows } = setup({
      files: { '/etc/bulkhead/config.json': '{"updatesEnabled":false}' },
    });
    markReady();
    await expect(handle.started).resolves.toBe('app-loaded');
    expect(updaters).toHaveLength(0);
    expect(timers.timeouts).toHaveLength(0);
    const sender = ipcEvent({ senderId: windows[0]!.webContents.id });
    await expect(ipcMain.invoke('update:status', sender)).resolves.toEqual({
      state: 'disabled',
      reason: 'config',
    });
    await expect(ipcMain.invoke('update:install', sender)).rejects.toThrow('[update-not-ready]');
  });

  it('macOS activate reopens a window only after ready and only when none is open', async () => {
    const { handle, markReady, app, windows } = setup({ platform: 'darwin' });
    app.emit('activate');
    expect(windows).toHaveLength(0);
    markReady();
    await handle.started;
    app.emit('activate');
    expect(windows).toHaveLength(1);
    windows[0]!.emit('closed');
    app.emit('activate');
    expect(windows).toHaveLength(2);
  });
});
