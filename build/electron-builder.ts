/**
 * electron-builder configuration for Bulkhead's installers. Everything secret comes from the
 * environment of the build machine (CI secrets), never from this repository:
 *
 * - Windows: a code-signing certificate via `WIN_CSC_LINK` + `WIN_CSC_KEY_PASSWORD` (or
 *   `CSC_LINK` + `CSC_KEY_PASSWORD`), read by electron-builder itself; or Azure Trusted Signing
 *   when `AZURE_TRUSTED_SIGNING_ENDPOINT` is set (credentials: `AZURE_TENANT_ID`,
 *   `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, read by the signing tool).
 * - macOS: a Developer ID Application certificate via `CSC_LINK` + `CSC_KEY_PASSWORD`, and
 *   notarization with an App Store Connect API key: `APPLE_API_KEY` (path to the .p8),
 *   `APPLE_API_KEY_ID`, `APPLE_API_ISSUER`.
 *
 * The app folder electron-builder packs is a staging folder (scripts/package-app.ts) holding
 * only package.json and the built bundles, so the asar cannot pick up sources, tests, source
 * maps or node_modules by accident.
 */
import type { Configuration } from 'electron-builder';

/** Electron version the app is built and tested against (the `electron` devDependency). */
export const ELECTRON_VERSION = '39.5.0';
export const APP_ID = 'com.bulkhead.desktop';
export const PRODUCT_NAME = 'Bulkhead';
/** Linux executable and package name. */
export const EXECUTABLE_NAME = 'bulkhead';
/** Folder (under the OS cache dir) electron-updater downloads into. */
export const UPDATER_CACHE_DIR_NAME = 'bulkhead-updater';
/** Baked feed when the build names none: the zero-setup server's feed (config.main.ts default). */
export const DEFAULT_BUILD_UPDATE_URL = 'http://127.0.0.1:8787/updates/';
/** Only the locales the UI has (plus US English, Chromium's fallback). */
export const ELECTRON_LANGUAGES = ['en-US', 'zh-CN'];

/**
 * The asar's contents, as globs relative to the staged app folder. scripts/verify-packaging.ts
 * proves the asar holds exactly these files.
 */
export const APP_FILES = [
  'package.json',
  'dist/electron/main.cjs',
  'dist/electron/preload.cjs',
  'dist/renderer/**/*',
  '!**/*.map',
];

/**
 * Electron fuses, flipped in the executable at packaging time (before signing).
 * Each line closes a way to run code other than our signed asar.
 */
export const ELECTRON_FUSES = {
  // ELECTRON_RUN_AS_NODE would turn the signed binary into a general-purpose Node.
  runAsNode: false,
  // Encrypt the cookie store with the OS keychain.
  enableCookieEncryption: true,
  // NODE_OPTIONS / NODE_EXTRA_CA_CERTS could inject code or trust roots.
  enableNodeOptionsEnvironmentVariable: false,
  // --inspect and SIGUSR1 would open a debugger on the main process.
  enableNodeCliInspectArguments: false,
  // Refuse a modified app.asar (macOS, Windows).
  enableEmbeddedAsarIntegrityValidation: true,
  // Load the app only from app.asar, never from a loose `app/` folder.
  onlyLoadAppFromAsar: true,
  // Pages on file:// get no privileges beyond a browser's (we serve app:// anyway).
  grantFileProtocolExtraPrivileges: false,
} as const;

/** Inputs of createBuilderConfig. */
export type BuilderConfigOptions = {
  /** Staged app folder (package.json + dist/), relative to the project dir or absolute. */
  readonly appDir: string;
  /** Where installers are written. */
  readonly outputDir: string;
  /** Environment to read feed and signing settings from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

/** Feed folder URL baked into app-update.yml (runtime machine config overrides it). */
export function buildUpdateUrl(env: Readonly<Record<string, string | undefined>>): string {
  const url = env['BULKHEAD_UPDATE_URL'] ?? DEFAULT_BUILD_UPDATE_URL;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`BULKHEAD_UPDATE_URL must be an http(s) URL, got "${url}"`);
  }
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/** Channel baked into app-update.yml and used for the published `<channel>*.yml`. */
export function buildUpdateChannel(env: Readonly<Record<string, string | undefined>>): string {
  const channel = env['BULKHEAD_UPDATE_CHANNEL'] ?? 'latest';
  if (!['latest', 'beta', 'alpha'].includes(channel)) {
    throw new Error(`BULKHEAD_UPDATE_CHANNEL must be latest, beta or alpha, got "${channel}"`);
  }
  return channel;
}

function windowsSigning(
  env: Readonly<Record<string, string | undefined>>,
): NonNullable<Configuration['win']> {
  const publisherName = env['WIN_PUBLISHER_NAME'];
  const endpoint = env['AZURE_TRUSTED_SIGNING_ENDPOINT'];
  if (endpoint !== undefined && endpoint !== '') {
    const account = env['AZURE_TRUSTED_SIGNING_ACCOUNT'];
    const profile = env['AZURE_TRUSTED_SIGNING_CERTIFICATE_PROFILE'];
    if (!account || !profile || !publisherName) {
      throw new Error(
        'Azure Trusted Signing needs AZURE_TRUSTED_SIGNING_ACCOUNT, AZURE_TRUSTED_SIGNING_CERTIFICATE_PROFILE and WIN_PUBLISHER_NAME',
      );
    }
    return {
      azureSignOptions: {
        publisherName,
        endpoint,
        codeSigningAccountName: account,
        certificateProfileName: profile,
      },
    };
  }
  // Certificate file: electron-builder reads WIN_CSC_LINK / WIN_CSC_KEY_PASSWORD itself.
  return {
    signtoolOptions: {
      signingHashAlgorithms: ['sha256'],
      ...(publisherName ? { publisherName } : {}),
    },
  };
}

/** The full configuration (all platforms); targets are chosen on the command line. */
export function createBuilderConfig(options: BuilderConfigOptions): Configuration {
  const env = options.env ?? process.env;
  const hasNotarizationKey = Boolean(
    env['APPLE_API_KEY'] && env['APPLE_API_KEY_ID'] && env['APPLE_API_ISSUER'],
  );
  return {
    appId: APP_ID,
    productName: PRODUCT_NAME,
    copyright: 'Copyright © Bulkhead contributors',
    electronVersion: ELECTRON_VERSION,
    directories: { app: options.appDir, output: options.outputDir, buildResources: 'build' },
    files: [...APP_FILES],
    asar: true,
    // Main is one esbuild bundle and there are no native modules: nothing to install, rebuild
    // or pack from node_modules. Returning false from beforeBuild says exactly that (and skips
    // the rebuild); `npmRebuild: false` must NOT be set, because it returns before beforeBuild
    // is consulted and electron-builder then packs the repository root's dependencies.
    beforeBuild: () => Promise.resolve(false),
    nodeGypRebuild: false,
    buildDependenciesFromSource: false,
    electronLanguages: [...ELECTRON_LANGUAGES],
    electronFuses: { ...ELECTRON_FUSES },
    artifactName: '${productName}-${version}-${os}-${arch}.${ext}',
    publish: [{ provider: 'generic', url: buildUpdateUrl(env), channel: buildUpdateChannel(env) }],

    win: {
      target: [
        { target: 'nsis', arch: ['x64'] },
        { target: 'msi', arch: ['x64'] },
      ],
      ...windowsSigning(env),
    },
    nsis: {
      // Per-machine into Program Files, elevation requested: IT installs once for all users.
      oneClick: false,
      perMachine: true,
      allowElevation: true,
      allowToChangeInstallationDirectory: true,
      createDesktopShortcut: true,
      createStartMenuShortcut: true,
      // User data (local databases) stays on uninstall; wiping it is IT's explicit decision.
      deleteAppDataOnUninstall: false,
      artifactName: '${productName}-Setup-${version}.${ext}',
    },
    msi: {
      oneClick: false,
      perMachine: true,
      createDesktopShortcut: true,
      artifactName: '${productName}-${version}-x64.${ext}',
    },

    mac: {
      target: [
        { target: 'dmg', arch: ['x64', 'arm64'] },
        // electron-updater on macOS installs from the zip.
        { target: 'zip', arch: ['x64', 'arm64'] },
      ],
      category: 'public.app-category.business',
      hardenedRuntime: true,
      gatekeeperAssess: false,
      entitlements: 'build/entitlements.mac.plist',
      entitlementsInherit: 'build/entitlements.mac.plist',
      notarize: hasNotarizationKey,
    },
    dmg: { sign: false },

    linux: {
      target: ['AppImage', 'deb', 'rpm'],
      executableName: EXECUTABLE_NAME,
      category: 'Office',
      synopsis: 'Offline-first warehouse client',
      maintainer: env['BULKHEAD_MAINTAINER'] ?? 'Bulkhead IT <it@example.invalid>',
      vendor: 'Bulkhead',
    },
  };
}
