/**
 * The shell's start-up sequence with every Electron API injected. `main.ts` passes the real
 * modules; tests pass fakes, because the Electron binary is not available on build machines
 * (see ARCHITECTURE.md, "Running and testing without the Electron binary").
 */
import nodePath from 'node:path';
import type {
  App,
  BrowserWindow,
  BrowserWindowConstructorOptions,
  IpcMain,
  Protocol,
  Shell,
  WebContents,
} from 'electron';
import { loadMachineConfig, toRendererConfig } from './config.main.js';
import { createIpcHandlers, registerIpcHandlers } from './ipc.main.js';
import { createAppProtocolHandler, createErrorPageHandler, renderErrorPage } from './protocol.main.js';
import type { ReadAsset } from './protocol.main.js';
import { SecretStore } from './secrets.main.js';
import { createUpdateController } from './updater.main.js';
import type { UpdateTimers, UpdaterLike } from './updater.main.js';
import type { SafeStorageLike, SecretFileIo } from './secrets.main.js';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  ERROR_PAGE_CSP,
  buildCsp,
  hardenSession,
  hardenWebContents,
  isTrustedSender,
  secureWebPreferences,
} from './security.js';
import type { HardenableContents, HardenableSession } from './security.js';

/** The parts of a BrowserWindow the shell uses. */
export type ShellWindow = Pick<
  BrowserWindow,
  'isMinimized' | 'restore' | 'focus' | 'show' | 'loadURL' | 'once' | 'on'
> & {
  readonly webContents: HardenableContents & Pick<WebContents, 'id'>;
};

/** Everything the shell needs from Electron and the OS. */
export type MainDeps = {
  readonly app: Pick<
    App,
    | 'requestSingleInstanceLock'
    | 'quit'
    | 'enableSandbox'
    | 'on'
    | 'whenReady'
    | 'getPath'
    | 'getAppPath'
    | 'getVersion'
  > & { readonly isPackaged: boolean };
  readonly protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  /** `session.defaultSession`, read lazily because it exists only once the app is ready. */
  readonly getSession: () => HardenableSession;
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  readonly safeStorage: SafeStorageLike;
  readonly shell: Pick<Shell, 'openExternal'>;
  readonly createWindow: (options: BrowserWindowConstructorOptions) => ShellWindow;
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fs: {
    readonly readConfig: (filePath: string) => Promise<string | null>;
    readonly readAsset: ReadAsset;
    readonly secretIo: SecretFileIo;
  };
  readonly log: (message: string) => void;
  /** electron-updater's `autoUpdater`, created only when updates are on. */
  readonly createUpdater: () => UpdaterLike;
  readonly timers: UpdateTimers;
};

/** How start-up ended, for tests and diagnostics. */
export type StartOutcome = 'second-instance-quit' | 'app-loaded' | 'config-error-shown' | 'failed';

/** Handle returned by runMain. */
export type ShellHandle = { readonly started: Promise<StartOutcome> };

/** Paths of the built artefacts, relative to the app path (the folder holding package.json). */
export const PRELOAD_RELATIVE_PATH = 'dist/electron/preload.cjs';
export const RENDERER_RELATIVE_ROOT = 'dist/renderer';
export const SECRETS_FILE_NAME = 'secrets.json';

/** Runs the shell: must be called synchronously at start-up, before the app is ready. */
export function runMain(deps: MainDeps): ShellHandle {
  const { app } = deps;

  // A second copy would fight over the local databases; hand over to the first and leave.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return { started: Promise.resolve('second-instance-quit') };
  }

  // Sandbox every renderer, including any we did not create ourselves.
  app.enableSandbox();
  // Privileged schemes can only be registered before `ready`.
  deps.protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } },
  ]);

  const appPath = app.getAppPath();
  const preloadPath = nodePath.join(appPath, PRELOAD_RELATIVE_PATH);
  const rendererRoot = nodePath.join(appPath, RENDERER_RELATIVE_ROOT);
  const hardenOptions = {
    openExternal: (url: string) => deps.shell.openExternal(url),
    onBlocked: (what: string, url: string) => deps.log(`blocked ${what} ${url}`),
  };

  let window: ShellWindow | null = null;
  let trustedContentsId: number | null = null;
  let ready = false;

  const openWindow = (): ShellWindow => {
    const created = deps.createWindow({
      width: 1280,
      height: 800,
      minWidth: 960,
      minHeight: 600,
      title: 'Bulkhead',
      // Shown on ready-to-show so the user never sees a blank white frame.
      show: false,
      autoHideMenuBar: true,
      webPreferences: secureWebPreferences(preloadPath),
    });
    // Also covered by web-contents-created below; explicit here so the app window never
    // depends on listener ordering.
    hardenWebContents(created.webContents, hardenOptions);
    trustedContentsId = created.webContents.id;
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      window = null;
      trustedContentsId = null;
    });
    window = created;
    return created;
  };

  const openAndLoad = async (): Promise<void> => {
    const created = openWindow();
    await created.loadURL(APP_ENTRY_URL);
  };

  app.on('second-instance', () => {
    if (window === null) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, hardenOptions);
  });

  app.on('window-all-closed', () => {
    // macOS apps stay in the dock until the user quits explicitly.
    if (deps.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (ready && window === null) {
      openAndLoad().catch((error: unknown) => deps.log(`cannot reopen window: ${String(error)}`));
    }
  });

  const onReady = async (): Promise<StartOutcome> => {
    const loaded = await loadMachineConfig({
      platform: deps.platform,
      env: deps.env,
      readFile: deps.fs.readConfig,
      isPackaged: app.isPackaged,
      userDataDir: app.getPath('userData'),
    });
    const session = deps.getSession();

    if (!loaded.ok) {
      // Show why instead of starting against a wrong or default server. No IPC is registered:
      // the error page has no script and nothing to call.
      deps.log(`${loaded.error.code}: ${loaded.error.message}`);
      hardenSession(session, { csp: ERROR_PAGE_CSP });
      deps.protocol.handle(
        APP_SCHEME,
        createErrorPageHandler(
          renderErrorPage('Bulkhead cannot start: configuration error', loaded.error.message),
          ERROR_PAGE_CSP,
        ),
      );
      ready = true;
      await openAndLoad();
      return 'config-error-shown';
    }

    const csp = buildCsp(loaded.config.serverUrl);
    hardenSession(session, { csp });
    deps.protocol.handle(
      APP_SCHEME,
      createAppProtocolHandler({ root: rendererRoot, readFile: deps.fs.readAsset, csp }),
    );

    const secrets = new SecretStore({
      safeStorage: deps.safeStorage,
      io: deps.fs.secretIo,
      filePath: nodePath.join(app.getPath('userData'), SECRETS_FILE_NAME),
    });
    const updates = createUpdateController({
      settings: loaded.config.updates,
      isPackaged: app.isPackaged,
      createUpdater: deps.createUpdater,
      timers: deps.timers,
      log: deps.log,
    });
    registerIpcHandlers(
      deps.ipcMain,
      createIpcHandlers({
        rendererConfig: toRendererConfig(loaded.config),
        secrets,
        appInfo: { version: app.getVersion(), platform: deps.platform },
        updates,
      }),
      (event) => isTrustedSender(event, trustedContentsId === null ? null : { id: trustedContentsId }),
    );
    ready = true;
    await openAndLoad();
    updates.start();
    return 'app-loaded';
  };

  const started = app
    .whenReady()
    .then(onReady)
    .catch((error: unknown) => {
      deps.log(`start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      // Without a window the process would only hold the single-instance lock; leave instead.
      app.quit();
      return 'failed' as const;
    });
  return { started };
}
