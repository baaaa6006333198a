/**
 * Automatic updates from the company's own Bulkhead server (electron-updater, generic
 * provider). The feed URL, channel, downgrade rule and on/off switch come from the machine
 * config, never from the user; the packaged `app-update.yml` still matters because Windows
 * signature verification reads the expected publisher from it.
 *
 * The updater downloads in the background and installs on quit; the renderer polls
 * `update:status` and offers "update ready, restart", which calls `update:install`.
 */
import type { Logger, ProgressInfo, UpdateDownloadedEvent, UpdateInfo } from 'electron-updater';
import type { UpdateStatus } from '../../shared/ipc/contract.js';
import type { UpdateSettings } from './config.main.js';

/** The part of electron-updater's AppUpdater this module uses (tests pass a fake). */
export type UpdaterLike = {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowDowngrade: boolean;
  logger: Logger | null;
  setFeedURL(options: { provider: 'generic'; url: string; channel: string }): void;
  checkForUpdates(): Promise<unknown>;
  isUpdaterActive(): boolean;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'checking-for-update', listener: () => void): unknown;
  on(event: 'update-not-available', listener: (info: UpdateInfo) => void): unknown;
  on(event: 'update-available', listener: (info: UpdateInfo) => void): unknown;
  on(event: 'download-progress', listener: (info: ProgressInfo) => void): unknown;
  on(event: 'update-downloaded', listener: (event: UpdateDownloadedEvent) => void): unknown;
  on(event: 'error', listener: (error: Error, message?: string) => void): unknown;
};

/** How often a running app asks the feed again. */
export const UPDATE_CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;
/** Delay of the first check, so start-up (and the first sync) is not slowed by a download. */
export const FIRST_CHECK_DELAY_MS = 30 * 1000;

/** Timers, injected so tests control time. */
export type UpdateTimers = {
  readonly setTimeout: (callback: () => void, ms: number) => unknown;
  readonly setInterval: (callback: () => void, ms: number) => unknown;
};

/** Inputs of createUpdateController. */
export type UpdateControllerOptions = {
  readonly settings: UpdateSettings;
  readonly isPackaged: boolean;
  /** Creates the updater only when updates are on (electron-updater's `autoUpdater`). */
  readonly createUpdater: () => UpdaterLike;
  readonly timers: UpdateTimers;
  readonly log: (message: string) => void;
  readonly now?: () => Date;
};

/** What main and the IPC handlers use. */
export type UpdateController = {
  /** Starts the periodic checks (no-op when disabled). */
  start(): void;
  /** Checks once now; resolves when the check (not the download) is done. */
  checkNow(): Promise<void>;
  status(): UpdateStatus;
  /** Quits and installs; throws `[update-not-ready]` unless an update is downloaded. */
  install(): void;
};

/** Stable message prefix of install() called too early. */
export const UPDATE_NOT_READY = '[update-not-ready]';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds the controller; the updater itself is configured here and nowhere else. */
export function createUpdateController(options: UpdateControllerOptions): UpdateController {
  const now = options.now ?? (() => new Date());
  const disabledReason: 'config' | 'not-packaged' | null = !options.settings.enabled
    ? 'config'
    : !options.isPackaged
      ? 'not-packaged'
      : null;

  if (disabledReason !== null) {
    const status: UpdateStatus = { state: 'disabled', reason: disabledReason };
    return {
      start: () => options.log(`updates disabled (${disabledReason})`),
      checkNow: () => Promise.resolve(),
      status: () => status,
      install: () => {
        throw new Error(`${UPDATE_NOT_READY} updates are disabled`);
      },
    };
  }

  const updater = options.createUpdater();
  let status: UpdateStatus = { state: 'idle' };
  let started = false;

  updater.logger = {
    info: (message?: unknown) => options.log(`updater: ${String(message)}`),
    warn: (message?: unknown) => options.log(`updater warning: ${String(message)}`),
    error: (message?: unknown) => options.log(`updater error: ${String(message)}`),
  };
  // Download in the background, install when the user restarts (or quits anyway).
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  // The channel is passed in the feed options, not through the `channel` setter, because that
  // setter silently turns allowDowngrade on; downgrades are IT's explicit decision.
  updater.setFeedURL({ provider: 'generic', url: options.settings.url, channel: options.settings.channel });
  updater.allowDowngrade = options.settings.allowDowngrade;

  updater.on('checking-for-update', () => {
    if (status.state !== 'ready' && status.state !== 'downloading') status = { state: 'checking' };
  });
  updater.on('update-not-available', () => {
    if (status.state !== 'ready') status = { state: 'up-to-date', checkedAt: now().toISOString() };
  });
  updater.on('update-available', (info) => {
    if (status.state !== 'ready') status = { state: 'downloading', version: info.version, percent: 0 };
  });
  updater.on('download-progress', (progress) => {
    if (status.state === 'downloading') {
      status = { ...status, percent: Math.min(100, Math.max(0, progress.percent)) };
    }
  });
  updater.on('update-downloaded', (event) => {
    status = { state: 'ready', version: event.version };
    options.log(`update ${event.version} downloaded; installs on restart`);
  });
  updater.on('error', (error) => {
    // A failed check must not hide an update that is already downloaded.
    if (status.state !== 'ready') status = { state: 'error', message: errorMessage(error) };
    options.log(`update error: ${errorMessage(error)}`);
  });

  const checkNow = async (): Promise<void> => {
    if (!updater.isUpdaterActive()) {
      status = { state: 'disabled', reason: 'unsupported' };
      return;
    }
    try {
      await updater.checkForUpdates();
    } catch (error) {
      // Offline is the normal case for this app: remember the error, retry at the next tick.
      if (status.state !== 'ready') status = { state: 'error', message: errorMessage(error) };
    }
  };
  const tick = (): void => {
    checkNow().catch((error: unknown) => options.log(`update check failed: ${errorMessage(error)}`));
  };

  return {
    start: () => {
      if (started) return;
      started = true;
      options.timers.setTimeout(tick, FIRST_CHECK_DELAY_MS);
      options.timers.setInterval(tick, UPDATE_CHECK_INTERVAL_MS);
    },
    checkNow,
    status: () => status,
    install: () => {
      if (status.state !== 'ready') throw new Error(`${UPDATE_NOT_READY} no update has been downloaded`);
      // Not silent on Windows so a per-machine install can ask for elevation; relaunch after.
      updater.quitAndInstall(false, true);
    },
  };
}
