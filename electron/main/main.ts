/**
 * Composition root of the Electron main process: the only file that imports Electron's
 * runtime modules. It hands them, with Node's file system, to `runMain`, which holds the
 * start-up logic and is unit-tested with fakes.
 */
import { BrowserWindow, app, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { autoUpdater } from 'electron-updater';
import { readBytes, readTextOrNull, writeFileAtomic } from './fs.main.js';
import { runMain } from './shell.main.js';

runMain({
  app,
  protocol,
  ipcMain,
  safeStorage,
  shell,
  getSession: () => session.defaultSession,
  // security.ts decides the options (SECURE_WEB_PREFERENCES); the isolation flags are restated
  // here, at the only `new BrowserWindow`, so no caller can weaken them and static scanners
  // (npm run security:electron) can see them.
  createWindow: (options) =>
    new BrowserWindow({
      ...options,
      webPreferences: {
        ...options.webPreferences,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        disableBlinkFeatures: 'Auxclick',
      },
    }),
  // The getter builds the platform's updater (NSIS, macOS, AppImage, deb, rpm) on first use.
  createUpdater: () => autoUpdater,
  timers: {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    setInterval: (callback, ms) => setInterval(callback, ms),
  },
  platform: process.platform,
  env: process.env,
  fs: {
    readConfig: readTextOrNull,
    readAsset: readBytes,
    secretIo: { read: readTextOrNull, write: writeFileAtomic },
  },
  log: (message) => console.error(`[bulkhead] ${message}`),
});
