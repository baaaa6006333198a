/**
 * Stages the app folder electron-builder packs into app.asar: a package.json with no
 * dependencies and the built bundles, nothing else. Main and preload are single esbuild
 * bundles (electron-updater, zod … included) whose only runtime modules are `electron` and
 * Node built-ins (asserted by build-electron.ts), and the renderer is a vite build — so the
 * packaged app needs no node_modules at all.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import nodePath from 'node:path';
import { build as viteBuild } from 'vite';
import { PRODUCT_NAME } from '../build/electron-builder.js';
import { REPO_ROOT, buildElectron } from './build-electron.js';

/** The renderer's vite config, relative to the repository root. */
export const RENDERER_VITE_CONFIG = 'vite.renderer.config.ts';

/** Options of stageApp. */
export type StageAppOptions = {
  /** Folder to (re)create. */
  readonly stageDir: string;
  /** Version to stamp (default: the repository's package.json version). */
  readonly version?: string;
};

/** The package.json inside the asar: what Electron and electron-updater read, nothing more. */
export async function stagedPackageJson(version?: string): Promise<Record<string, unknown>> {
  const root = JSON.parse(await readFile(nodePath.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description: string;
    main: string;
  };
  return {
    name: root.name,
    productName: PRODUCT_NAME,
    version: version ?? root.version,
    description: root.description,
    author: { name: 'Bulkhead', email: 'it@example.invalid' },
    license: 'UNLICENSED',
    private: true,
    main: root.main,
  };
}

/** Builds main, preload and renderer into `stageDir` and writes its package.json. */
export async function stageApp(options: StageAppOptions): Promise<void> {
  const { stageDir } = options;
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });
  await buildElectron({ outdir: nodePath.join(stageDir, 'dist', 'electron') });
  await viteBuild({
    configFile: nodePath.join(REPO_ROOT, RENDERER_VITE_CONFIG),
    logLevel: 'warn',
    build: { outDir: nodePath.join(stageDir, 'dist', 'renderer'), emptyOutDir: true },
  });
  const pkg = await stagedPackageJson(options.version);
  await writeFile(nodePath.join(stageDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}
