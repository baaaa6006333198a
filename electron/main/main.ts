/**
 * Composition root of the Electron main process: the only file that imports Electron's
 * runtime modules. It hands them, with Node's file system, to `runMain`, which holds the
 * start-up logic and is unit-tested with fakes.
 */
import { BrowserWindow, app, ipcMain, protocol, safeStorage, session, shell } from 'electron';
import { readBytes, readTextOrNull, writeFileAtomic } from './fs.main.js';
import { runMain } from './shell.main.js';

runMain({
  app,
  protocol,
  ipcMain,
  safeStorage,
  shell,
  getSession: () => session.defaultSession,
  createWindow: (options) => new BrowserWindow(options),
  platform: process.platform,
  env: process.env,
  fs: {
    readConfig: readTextOrNull,
    readAsset: readBytes,
    secretIo: { read: readTextOrNull, write: writeFileAtomic },
  },
  log: (message) => console.error(`[bulkhead] ${message}`),
});
