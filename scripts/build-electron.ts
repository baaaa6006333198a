/**
 * Bundles the Electron main process and the preload with esbuild.
 *
 * - main → `dist/electron/main.cjs`: Node platform, CommonJS (Electron loads main as CJS
 *   reliably across versions), everything but `electron` bundled.
 * - preload → `dist/electron/preload.cjs`: a single CommonJS file whose only `require` is
 *   'electron', because a sandboxed preload cannot load anything else. Built for the browser
 *   platform so an accidental Node built-in import fails the build instead of the app.
 *
 * Tests call `buildElectron({ outdir, electronShim })` to bundle the real preload with
 * `electron` replaced by a shim they control.
 */
import { builtinModules } from 'node:module';
import nodePath from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Metafile, Plugin } from 'esbuild';

/** Repository root (this file lives in scripts/). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Entry points, relative to the repository root. */
export const MAIN_ENTRY = 'electron/main/main.ts';
export const PRELOAD_ENTRY = 'electron/preload/bridge.preload.ts';
/** Output names inside outdir (main.ts expects the preload at dist/electron/preload.cjs). */
export const MAIN_OUTFILE = 'main.cjs';
export const PRELOAD_OUTFILE = 'preload.cjs';

/** Options of buildElectron. */
export type BuildElectronOptions = {
  /** Output directory; default `<repo>/dist/electron`. */
  readonly outdir?: string;
  /** Absolute path of a module to bundle in place of `electron` (tests only). */
  readonly electronShim?: string;
  /** Which bundles to build; default both. */
  readonly targets?: readonly ('main' | 'preload')[];
  readonly minify?: boolean;
};

/** Paths of what was written. */
export type BuildElectronResult = {
  readonly mainFile?: string;
  readonly preloadFile?: string;
};

function electronShimPlugin(shimPath: string): Plugin {
  return {
    name: 'electron-shim',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^electron$/ }, () => ({ path: shimPath }));
    },
  };
}

/**
 * Fails when a bundle requires anything but the allowed externals; for the preload this is
 * the sandbox rule "only 'electron'".
 */
function assertOnlyExternals(metafile: Metafile, allowed: (path: string) => boolean, label: string): void {
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external && !allowed(imported.path)) {
        throw new Error(`${label} bundle requires "${imported.path}", which it may not load at runtime`);
      }
    }
  }
}

/** Builds the requested Electron bundles. */
export async function buildElectron(options: BuildElectronOptions = {}): Promise<BuildElectronResult> {
  const outdir = options.outdir ?? nodePath.join(REPO_ROOT, 'dist', 'electron');
  const targets = options.targets ?? ['main', 'preload'];
  const shim = options.electronShim;
  const plugins = shim === undefined ? [] : [electronShimPlugin(shim)];
  const external = shim === undefined ? ['electron'] : [];
  const common = {
    bundle: true,
    format: 'cjs',
    sourcemap: 'linked',
    minify: options.minify ?? false,
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: REPO_ROOT,
    plugins,
    external,
    // Never let a dev-only `process.env.NODE_ENV` branch survive into a shipped bundle.
    define: { 'process.env.NODE_ENV': '"production"' },
  } as const;

  const result: { mainFile?: string; preloadFile?: string } = {};

  if (targets.includes('main')) {
    const mainFile = nodePath.join(outdir, MAIN_OUTFILE);
    const built = await build({
      ...common,
      entryPoints: [nodePath.join(REPO_ROOT, MAIN_ENTRY)],
      outfile: mainFile,
      platform: 'node',
      // Electron 39 ships Node 22.
      target: 'node22',
    });
    // Main runs in Electron's Node: built-ins and electron are its only runtime modules (bundled
    // libraries such as electron-updater require built-ins without the `node:` prefix).
    assertOnlyExternals(
      built.metafile,
      (path) => path === 'electron' || path.startsWith('node:') || builtinModules.includes(path),
      'main',
    );
    result.mainFile = mainFile;
  }

  if (targets.includes('preload')) {
    const preloadFile = nodePath.join(outdir, PRELOAD_OUTFILE);
    const built = await build({
      ...common,
      entryPoints: [nodePath.join(REPO_ROOT, PRELOAD_ENTRY)],
      outfile: preloadFile,
      platform: 'browser',
      target: 'chrome142',
    });
    assertOnlyExternals(built.metafile, (path) => path === 'electron', 'preload');
    result.preloadFile = preloadFile;
  }

  return result;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(nodePath.resolve(process.argv[1])).href;
if (invokedDirectly) {
  buildElectron({ minify: process.argv.includes('--minify') })
    .then((result) => {
      for (const file of [result.mainFile, result.preloadFile]) {
        if (file !== undefined) console.log(`built ${nodePath.relative(process.cwd(), file)}`);
      }
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
