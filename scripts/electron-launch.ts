/**
 * Locating and launching the Electron binary. On build machines without internet the
 * `electron` package is installed but its binary never downloaded; `npm start` asks
 * findElectronBinary() and, on null, says so in one line and serves the app to a browser.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import nodePath from 'node:path';

/** Inputs of findElectronBinary, injectable for tests. */
export type FindElectronOptions = {
  /** Folder of the `electron` package; default: resolved from node_modules. */
  readonly packageDir?: string | null;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly exists?: (filePath: string) => boolean;
  readonly readText?: (filePath: string) => string;
};

/** Folder of the installed `electron` package, or null when it is not installed. */
export function electronPackageDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    // Resolve package.json, not the package: its index.js throws when the binary is missing.
    return nodePath.dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/**
 * The Electron executable if it is really there, else null. Mirrors the lookup of the
 * package's index.js (path.txt, `ELECTRON_OVERRIDE_DIST_PATH`) without its throw.
 */
export function findElectronBinary(options: FindElectronOptions = {}): string | null {
  const exists = options.exists ?? existsSync;
  const readText = options.readText ?? ((filePath: string) => readFileSync(filePath, 'utf8'));
  const env = options.env ?? process.env;
  const packageDir = options.packageDir === undefined ? electronPackageDir() : options.packageDir;
  if (packageDir === null) return null;

  const pathFile = nodePath.join(packageDir, 'path.txt');
  const relative = exists(pathFile) ? readText(pathFile).trim() : '';
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  let binary: string | null = null;
  if (override !== undefined && override !== '') {
    binary = nodePath.join(override, relative === '' ? 'electron' : relative);
  } else if (relative !== '') {
    binary = nodePath.join(packageDir, 'dist', relative);
  }
  return binary !== null && exists(binary) ? binary : null;
}

/** One-line explanation for `npm start` when the binary is missing. */
export const ELECTRON_MISSING_MESSAGE =
  'Electron binary not installed (no download possible here); serving the app to a browser instead.';

/** Starts Electron on the app folder (which holds package.json with main = dist/electron/main.cjs). */
export function launchElectron(
  binary: string,
  appDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ChildProcess {
  // ELECTRON_RUN_AS_NODE would turn the binary into plain Node and skip the whole shell.
  const { ELECTRON_RUN_AS_NODE: _ignored, ...childEnv } = env;
  return spawn(binary, [appDir], { stdio: 'inherit', env: childEnv });
}
