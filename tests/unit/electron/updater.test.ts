import { describe, expect, it, vi } from 'vitest';
import type { UpdateSettings } from '../../../electron/main/config.main.js';
import {
  FIRST_CHECK_DELAY_MS,
  UPDATE_CHECK_INTERVAL_MS,
  createUpdateController,
} from '../../../electron/main/updater.main.js';
import type { UpdaterLike } from '../../../electron/main/updater.main.js';
import { FakeUpdater, ManualTimers } from './fakes.js';

const SETTINGS: UpdateSettings = {
  enabled: true,
  url: 'https://wms.example.com/updates/',
  channel: 'latest',
  allowDowngrade: false,
};

function setup(overrides: { settings?: Partial<UpdateSettings>; isPackaged?: boolean } = {}) {
  const updater = new FakeUpdater();
  const timers = new ManualTimers();
  const log = vi.fn();
  const createUpdater = vi.fn(() => updater as unknown as UpdaterLike);
  const controller = createUpdateController({
    settings: { ...SETTINGS, ...overrides.settings },
    isPackaged: overrides.isPackaged ?? true,
    createUpdater,
    timers,
    log,
    now: () => new Date('2025-01-02T03:04:05Z'),
  });
  return { controller, updater, timers, log, createUpdater };
}

describe('createUpdateController', () => {
  it('configures the generic feed, channel and downgrade rule from the machine config', () => {
    const { updater } = setup({ settings: { channel: 'beta' } });
    expect(updater.feed).toEqual({ provider: 'generic', url: SETTINGS.url, channel: 'beta' });
    // The channel setter of electron-updater would have turned this on; we keep IT's choice.
    expect(updater.allowDowngrade).toBe(false);
    expect(updater.autoDownload).toBe(true);
    expect(updater.autoInstallOnAppQuit).toBe(true);
  });

  it('updates off: never creates the updater, status "disabled: config", install refused', () => {
    const { controller, createUpdater, timers } = setup({ settings: { enabled: false } });
    controller.start();
    expect(createUpdater).not.toHaveBeenCalled();
    expect(timers.timeouts).toEqual([]);
    expect(controller.status()).toEqual({ state: 'disabled', reason: 'config' });
    expect(() => controller.install()).toThrow('[update-not-ready]');
  });

  it('a development run never updates', () => {
    const { controller, createUpdater } = setup({ isPackaged: false });
    expect(createUpdater).not.toHaveBeenCalled();
    expect(controller.status()).toEqual({ state: 'disabled', reason: 'not-packaged' });
  });

  it('start schedules a delayed first check and a periodic one, once', async () => {
    const { controller, updater, timers } = setup();
    controller.start();
    controller.start();
    expect(timers.timeouts.map((t) => t.ms)).toEqual([FIRST_CHECK_DELAY_MS]);
    expect(timers.intervals.map((t) => t.ms)).toEqual([UPDATE_CHECK_INTERVAL_MS]);
    timers.timeouts[0]!.callback();
    await vi.waitFor(() => expect(updater.checks).toBe(1));
  });

  it('follows the updater through check → download → ready, then installs and relaunches', async () => {
    const { controller, updater } = setup();
    updater.checkResult = () => {
      updater.emit('checking-for-update');
      expect(controller.status()).toEqual({ state: 'checking' });
      updater.emit('update-available', { version: '0.2.0' });
      return Promise.resolve({});
    };
    await controller.checkNow();
    expect(controller.status()).toEqual({ state: 'downloading', version: '0.2.0', percent: 0 });
    updater.emit('download-progress', { percent: 42.5 });
    expect(controller.status()).toEqual({ state: 'downloading', version: '0.2.0', percent: 42.5 });
    expect(() => controller.install()).toThrow('[update-not-ready]');
    updater.emit('update-downloaded', { version: '0.2.0' });
    expect(controller.status()).toEqual({ state: 'ready', version: '0.2.0' });

    // A later failed check (offline) does not hide the downloaded update.
    updater.emit('error', new Error('net::ERR_INTERNET_DISCONNECTED'));
    expect(controller.status()).toEqual({ state: 'ready', version: '0.2.0' });

    controller.install();
    expect(updater.installs).toEqual([[false, true]]);
  });

  it('no update: up-to-date with the check time', async () => {
    const { controller, updater } = setup();
    updater.checkResult = () => {
      updater.emit('update-not-available', { version: '0.1.0' });
      return Promise.resolve({});
    };
    await controller.checkNow();
    expect(controller.status()).toEqual({ state: 'up-to-date', checkedAt: '2025-01-02T03:04:05.000Z' });
  });

  it('offline: a failed check becomes an error status, not an exception', async () => {
    const { controller, updater } = setup();
    updater.checkResult = () => Promise.reject(new Error('getaddrinfo ENOTFOUND wms.example.com'));
    await controller.checkNow();
    expect(controller.status()).toEqual({ state: 'error', message: 'getaddrinfo ENOTFOUND wms.example.com' });
  });

  it('an install type the updater cannot handle (deb without package manager, MSI) → unsupported', async () => {
    const { controller, updater } = setup();
    updater.active = false;
    await controller.checkNow();
    expect(updater.checks).toBe(0);
    expect(controller.status()).toEqual({ state: 'disabled', reason: 'unsupported' });
  });

  it("routes the updater log to main's log", () => {
    const { updater, log } = setup();
    (updater.logger as { info(message: string): void }).info('Checking for update');
    expect(log).toHaveBeenCalledWith('updater: Checking for update');
  });
});
