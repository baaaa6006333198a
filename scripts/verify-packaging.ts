/**
 * `npm run verify:packaging`: proves the packaging configuration offline, where the Electron
 * binary cannot be downloaded.
 *
 * 1. The electron-builder configuration (every platform's section) passes electron-builder's
 *    own schema validation.
 * 2. The app is staged and packed with `electron-builder --dir --linux` against a stand-in
 *    Electron distribution (a shell script carrying a real fuse wire, locale files, resources/),
 *    with every download mirror pointed at a closed port so any download attempt fails at once.
 * 3. The result is inspected: app.asar holds exactly the staged app (package.json, main and
 *    preload bundles, renderer build) — no node_modules, sources, tests or source maps;
 *    app-update.yml points at the configured feed; the fuses are flipped as configured; only the
 *    UI's locales are kept.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import * as asar from '@electron/asar';
import type { Configuration } from 'electron-builder';
import {
  APP_FILES,
  ELECTRON_FUSES,
  ELECTRON_LANGUAGES,
  ELECTRON_VERSION,
  EXECUTABLE_NAME,
  UPDATER_CACHE_DIR_NAME,
  createBuilderConfig,
} from '../build/electron-builder.js';
import { REPO_ROOT } from './build-electron.js';
import { stageApp } from './package-app.js';

/** Marks the fuse wire in an Electron executable (from @electron/fuses). */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Fuse wire order of FuseV1 (index → electron-builder option). */
export const FUSE_ORDER = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;
const FUSE_DISABLED = 0x30;
const FUSE_ENABLED = 0x31;

/** Feed URL the verification build bakes in, to prove the setting reaches app-update.yml. */
export const VERIFY_UPDATE_URL = 'https://wms.example.com/bulkhead/updates/';

/** A failed check, with what was found. */
export class PackagingCheckError extends Error {
  override readonly name = 'PackagingCheckError';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new PackagingCheckError(message);
}

/**
 * Writes a stand-in Electron distribution: an `electron` shell script whose bytes carry a fuse
 * wire (all fuses at Electron's defaults), the files electron-builder copies, locale packs.
 */
export async function writeStandInElectron(dir: string): Promise<void> {
  await mkdir(nodePath.join(dir, 'resources'), { recursive: true });
  await mkdir(nodePath.join(dir, 'locales'), { recursive: true });
  // Electron's defaults: RunAsNode, cookie encryption off, NODE_OPTIONS and inspect on, …
  const defaults = [1, 0, 1, 1, 0, 0, 0, 1].map((on) => (on === 1 ? FUSE_ENABLED : FUSE_DISABLED));
  const wire = Buffer.concat([
    Buffer.from(FUSE_SENTINEL, 'latin1'),
    Buffer.from([1, defaults.length]),
    Buffer.from(defaults),
  ]);
  const script = Buffer.from(
    '#!/bin/sh\necho "stand-in electron: the real binary is not available here" >&2\nexit 1\n# ',
  );
  await writeFile(nodePath.join(dir, 'electron'), Buffer.concat([script, wire, Buffer.from('\n')]));
  await chmod(nodePath.join(dir, 'electron'), 0o755);
  await writeFile(nodePath.join(dir, 'version'), ELECTRON_VERSION);
  await writeFile(nodePath.join(dir, 'LICENSE'), 'stand-in');
  await writeFile(nodePath.join(dir, 'LICENSES.chromium.html'), '<p>stand-in</p>');
  // No resources/default_app.asar: a real download has it removed by electron-builder, and a
  // custom unpacked dist would keep it (electron-builder's asar-integrity step would hash it).
  for (const locale of ['en-US', 'zh-CN', 'de', 'fr', 'ja']) {
    await writeFile(nodePath.join(dir, 'locales', `${locale}.pak`), locale);
  }
}

/** Reads the fuse wire of an executable: option → enabled. */
export function readFuses(binary: Buffer): Record<(typeof FUSE_ORDER)[number], boolean> {
  const at = binary.indexOf(FUSE_SENTINEL, 0, 'latin1');
  check(at >= 0, 'no fuse sentinel in the packaged executable');
  const start = at + FUSE_SENTINEL.length;
  const length = binary[start + 1] ?? 0;
  const result = {} as Record<(typeof FUSE_ORDER)[number], boolean>;
  FUSE_ORDER.forEach((name, index) => {
    check(index < length, `fuse wire too short for ${name}`);
    result[name] = binary[start + 2 + index] === FUSE_ENABLED;
  });
  return result;
}

/** Parses the flat `key: value` YAML electron-builder writes for app-update.yml. */
export function parseFlatYaml(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    check(match !== null, `unexpected line in app-update.yml: ${line}`);
    const raw = match[2] ?? '';
    result[match[1] ?? ''] = raw.replace(/^(['"])(.*)\1$/, '$2');
  }
  return result;
}

/** Files (not folders) of a staged app, as asar paths ("/dist/…"), source maps excluded. */
export async function expectedAsarFiles(stageDir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = nodePath.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (!entry.name.endsWith('.map'))
        files.push(`/${nodePath.relative(stageDir, full).split(nodePath.sep).join('/')}`);
    }
  };
  await walk(stageDir);
  return files.sort();
}

/** Problems with an asar's file list: anything that is not app code, or not expected. */
export function asarProblems(actual: readonly string[], expected: readonly string[]): string[] {
  const problems: string[] = [];
  const expectedSet = new Set(expected);
  const actualSet = new Set(actual);
  for (const file of actual) {
    if (/(^|\/)node_modules(\/|$)/.test(file)) problems.push(`node_modules in asar: ${file}`);
    else if (file.endsWith('.map')) problems.push(`source map in asar: ${file}`);
    else if (/\.(ts|tsx|mts|cts)$/.test(file)) problems.push(`TypeScript source in asar: ${file}`);
    else if (/(^|\/)(tests?|__tests__)(\/|$)|\.(test|spec)\.[cm]?js$/.test(file))
      problems.push(`test file in asar: ${file}`);
    else if (!expectedSet.has(file)) problems.push(`unexpected file in asar: ${file}`);
  }
  for (const file of expected) if (!actualSet.has(file)) problems.push(`missing from asar: ${file}`);
  return problems;
}

/** Validates a configuration with electron-builder's own schema (throws on the first problem). */
export async function validateBuilderConfig(config: Configuration): Promise<void> {
  const { validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
  const quietLogger = { isEnabled: false, add: () => undefined } as unknown as Parameters<
    typeof validateConfiguration
  >[1];
  await validateConfiguration(config, quietLogger);
}

/** Environment that makes any download attempt fail at once instead of hanging or succeeding. */
export const NO_DOWNLOAD_ENV = {
  ELECTRON_MIRROR: 'http://127.0.0.1:9/',
  ELECTRON_CUSTOM_DIR: 'no-download',
  ELECTRON_BUILDER_BINARIES_MIRROR: 'http://127.0.0.1:9/',
  npm_config_electron_mirror: 'http://127.0.0.1:9/',
  CSC_IDENTITY_AUTO_DISCOVERY: 'false',
  ELECTRON_BUILDER_CACHE: '',
} as const;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Runs the whole verification; returns the lines of its report. */
export async function verifyPackaging(options: { keep?: boolean } = {}): Promise<string[]> {
  const report: string[] = [];
  const started = Date.now();
  const work = await mkdtemp(nodePath.join(tmpdir(), 'bulkhead-packaging-'));
  const stageDir = nodePath.join(work, 'app');
  const outDir = nodePath.join(work, 'out');
  const electronDist = nodePath.join(work, 'electron-dist');
  try {
    // 1. Schema: the full configuration, as `npm run dist:*` uses it.
    const fullConfig = createBuilderConfig({ appDir: stageDir, outputDir: outDir });
    await validateBuilderConfig(fullConfig);
    report.push('ok   electron-builder configuration passes the schema (win, mac, linux sections)');

    // 2. Stage and pack with the stand-in Electron.
    await stageApp({ stageDir });
    await writeStandInElectron(electronDist);
    Object.assign(process.env, NO_DOWNLOAD_ENV, { ELECTRON_BUILDER_CACHE: nodePath.join(work, 'cache') });
    const config: Configuration = {
      ...createBuilderConfig({
        appDir: stageDir,
        outputDir: outDir,
        env: { ...process.env, BULKHEAD_UPDATE_URL: VERIFY_UPDATE_URL, BULKHEAD_UPDATE_CHANNEL: 'latest' },
      }),
      electronDist,
    };
    await validateBuilderConfig(config);
    const { Arch, Platform, build } = await import('electron-builder');
    await build({
      projectDir: REPO_ROOT,
      targets: Platform.LINUX.createTarget('dir', Arch.x64),
      config,
      publish: 'never',
    });
    report.push(
      `ok   electron-builder --dir --linux with a stand-in Electron ${ELECTRON_VERSION} (no download)`,
    );

    // 3. Inspect.
    const unpacked = nodePath.join(outDir, 'linux-unpacked');
    const resources = nodePath.join(unpacked, 'resources');
    const asarPath = nodePath.join(resources, 'app.asar');
    const listing = asar
      .listPackage(asarPath, { isPack: false })
      .map((entry) => entry.split(nodePath.sep).join('/'))
      .filter((entry) => {
        const stat = asar.statFile(asarPath, entry.slice(1), false);
        return !('files' in stat);
      })
      .sort();
    const expected = await expectedAsarFiles(stageDir);
    const problems = asarProblems(listing, expected);
    check(problems.length === 0, `app.asar is not exactly the app:\n  ${problems.join('\n  ')}`);
    for (const file of [
      '/dist/electron/main.cjs',
      '/dist/electron/preload.cjs',
      '/dist/renderer/index.html',
    ]) {
      const packed = asar.extractFile(asarPath, file.slice(1));
      const staged = await readFile(nodePath.join(stageDir, file));
      check(sha256(packed) === sha256(staged), `${file} in app.asar differs from the build`);
    }
    const packedPkg = JSON.parse(asar.extractFile(asarPath, 'package.json').toString('utf8')) as Record<
      string,
      unknown
    >;
    check(
      packedPkg['main'] === 'dist/electron/main.cjs',
      `asar package.json main is ${String(packedPkg['main'])}`,
    );
    check(
      packedPkg['dependencies'] === undefined && packedPkg['devDependencies'] === undefined,
      'asar package.json declares dependencies',
    );
    report.push(`ok   app.asar holds exactly the app (${listing.length} files): ${APP_FILES.join(' ')}`);

    const resourceEntries = (await readdir(resources)).sort();
    check(
      JSON.stringify(resourceEntries) === JSON.stringify(['app-update.yml', 'app.asar']),
      `resources/ should hold only app.asar and app-update.yml, holds ${resourceEntries.join(', ')}`,
    );
    const updateConfig = parseFlatYaml(await readFile(nodePath.join(resources, 'app-update.yml'), 'utf8'));
    check(updateConfig['provider'] === 'generic', `app-update.yml provider is ${updateConfig['provider']}`);
    check(updateConfig['url'] === VERIFY_UPDATE_URL, `app-update.yml url is ${updateConfig['url']}`);
    check(
      updateConfig['updaterCacheDirName'] === UPDATER_CACHE_DIR_NAME,
      `app-update.yml updaterCacheDirName is ${updateConfig['updaterCacheDirName']}`,
    );
    check(
      updateConfig['channel'] === undefined || updateConfig['channel'] === 'latest',
      'app-update.yml channel',
    );
    report.push(
      `ok   app-update.yml: generic feed ${updateConfig['url']}, cache ${updateConfig['updaterCacheDirName']}`,
    );

    const fuses = readFuses(await readFile(nodePath.join(unpacked, EXECUTABLE_NAME)));
    for (const [name, wanted] of Object.entries(ELECTRON_FUSES)) {
      check(
        fuses[name as keyof typeof fuses] === wanted,
        `fuse ${name} is ${String(fuses[name as keyof typeof fuses])}, want ${String(wanted)}`,
      );
    }
    report.push(
      `ok   fuses flipped in ${EXECUTABLE_NAME}: ${Object.entries(ELECTRON_FUSES)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`,
    );

    const locales = (await readdir(nodePath.join(unpacked, 'locales'))).sort();
    check(
      JSON.stringify(locales) === JSON.stringify(ELECTRON_LANGUAGES.map((l) => `${l}.pak`).sort()),
      `locales kept: ${locales.join(', ')}`,
    );
    report.push(`ok   locales kept: ${locales.join(' ')}`);
    report.push(`packaging verified in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return report;
  } finally {
    if (options.keep) report.push(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(nodePath.resolve(process.argv[1])).href;
if (invokedDirectly) {
  verifyPackaging({ keep: process.argv.includes('--keep') })
    .then((report) => {
      for (const line of report) console.log(line);
    })
    .catch((error: unknown) => {
      console.error(
        `FAIL packaging verification: ${error instanceof Error ? (process.env['DEBUG_PACKAGING'] ? (error.stack ?? error.message) : error.message) : String(error)}`,
      );
      process.exitCode = 1;
    });
}
