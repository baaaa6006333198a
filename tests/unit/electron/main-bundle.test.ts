/**
 * Smoke test of the real composition root: bundle electron/main/main.ts as the build does and
 * run it with a fake `electron` module, checking main.ts wires the real Electron objects into
 * runMain (the logic itself is covered by shell.test.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildElectron } from '../../../scripts/build-electron.js';

let outdir: string;
let mainFile: string;
let code: string;

beforeAll(async () => {
  outdir = await mkdtemp(nodePath.join(tmpdir(), 'bulkhead-main-'));
  const built = await buildElectron({ outdir, targets: ['main'] });
  mainFile = built.mainFile!;
  code = await readFile(mainFile, 'utf8');
}, 30_000);

afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

function fakeElectron(lock: boolean) {
  return {
    app: {
      isPackaged: true,
      requestSingleInstanceLock: vi.fn(() => lock),
      quit: vi.fn(),
      enableSandbox: vi.fn(),
      on: vi.fn(),
      // Never ready: this test only covers what happens synchronously at start-up.
      whenReady: vi.fn(() => new Promise<void>(() => undefined)),
      getPath: () => '/userData',
      getAppPath: () => '/app',
      getVersion: () => '0.1.0',
    },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    safeStorage: {},
    session: {},
    shell: {},
    BrowserWindow: vi.fn(),
  };
}

function runBundle(electron: ReturnType<typeof fakeElectron>): void {
  const realRequire = createRequire(mainFile);
  const required: string[] = [];
  const fakeRequire = (id: string): unknown => {
    required.push(id);
    return id === 'electron' ? electron : realRequire(id);
  };
  const module = { exports: {} };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- running our own built bundle
  const run = new Function('require', 'module', 'exports', '__filename', '__dirname', code) as (
    ...args: unknown[]
  ) => void;
  run(fakeRequire, module, module.exports, mainFile, nodePath.dirname(mainFile));
  // Bundled libraries (electron-updater) may require bare built-ins; nothing else is external.
  expect([
    ...new Set(required.filter((id) => !id.startsWith('node:') && !builtinModules.includes(id))),
  ]).toEqual(['electron']);
}

describe('main bundle (dist/electron/main.cjs)', () => {
  it('quits when another instance holds the lock', () => {
    const electron = fakeElectron(false);
    runBundle(electron);
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalledTimes(1);
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
    expect(electron.app.enableSandbox).not.toHaveBeenCalled();
  });

  it('otherwise enables the sandbox and registers the app scheme before ready', () => {
    const electron = fakeElectron(true);
    runBundle(electron);
    expect(electron.app.quit).not.toHaveBeenCalled();
    expect(electron.app.enableSandbox).toHaveBeenCalledTimes(1);
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    const events = electron.app.on.mock.calls.map(([event]) => event as string).sort();
    expect(events).toEqual(['activate', 'second-instance', 'web-contents-created', 'window-all-closed']);
  });
});
