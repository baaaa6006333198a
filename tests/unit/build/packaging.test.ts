import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  APP_FILES,
  DEFAULT_BUILD_UPDATE_URL,
  ELECTRON_FUSES,
  ELECTRON_VERSION,
  buildUpdateChannel,
  buildUpdateUrl,
  createBuilderConfig,
} from '../../../build/electron-builder.js';
import { missingSigningInputs, parseDistArgs } from '../../../scripts/dist.js';
import {
  FUSE_SENTINEL,
  asarProblems,
  parseFlatYaml,
  readFuses,
  validateBuilderConfig,
} from '../../../scripts/verify-packaging.js';

const config = (env: Record<string, string | undefined> = {}) =>
  createBuilderConfig({ appDir: 'dist/app', outputDir: 'dist/release', env });

describe('electron-builder configuration', () => {
  it("passes electron-builder's schema, with and without Azure signing", async () => {
    await validateBuilderConfig(config());
    await validateBuilderConfig(
      config({
        AZURE_TRUSTED_SIGNING_ENDPOINT: 'https://weu.codesigning.azure.net',
        AZURE_TRUSTED_SIGNING_ACCOUNT: 'acct',
        AZURE_TRUSTED_SIGNING_CERTIFICATE_PROFILE: 'profile',
        WIN_PUBLISHER_NAME: 'Example Corp',
      }),
    );
    // Loading electron-builder's schema validator takes seconds on a busy 2-core machine.
  }, 60_000);

  it('targets what IT deploys: NSIS per-machine + MSI, dmg + zip hardened, AppImage/deb/rpm', () => {
    const c = config();
    expect(c.win?.target).toEqual([
      { target: 'nsis', arch: ['x64'] },
      { target: 'msi', arch: ['x64'] },
    ]);
    expect(c.nsis).toMatchObject({ oneClick: false, perMachine: true });
    expect(c.msi).toMatchObject({ perMachine: true });
    expect(c.mac).toMatchObject({ hardenedRuntime: true, entitlements: 'build/entitlements.mac.plist' });
    expect(c.linux?.target).toEqual(['AppImage', 'deb', 'rpm']);
  });

  it('uses the pinned electron devDependency and locks every fuse as the issue asks', () => {
    const devPackage = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as {
      devDependencies: Record<string, string>;
    };
    expect(devPackage.devDependencies['electron']).toBe(ELECTRON_VERSION);
    expect(config().electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs no node_modules and no source maps', async () => {
    const c = config();
    expect(APP_FILES).toContain('!**/*.map');
    // beforeBuild → false is how electron-builder is told node_modules are handled elsewhere.
    expect(c.npmRebuild).toBeUndefined();
    expect(typeof c.beforeBuild).toBe('function');
    await expect((c.beforeBuild as () => Promise<boolean>)()).resolves.toBe(false);
  });

  it('holds no secret: signing settings come only from the environment', () => {
    const text = JSON.stringify(config());
    expect(text).not.toMatch(/password|secret|\.p12|\.pfx|\.p8/i);
    expect(config().mac?.notarize).toBe(false);
    expect(
      config({ APPLE_API_KEY: '/k/AuthKey.p8', APPLE_API_KEY_ID: 'ID', APPLE_API_ISSUER: 'iss' }).mac
        ?.notarize,
    ).toBe(true);
  });

  it('bakes the update feed from BULKHEAD_UPDATE_URL (folder URL), default the local server', () => {
    expect(buildUpdateUrl({})).toBe(DEFAULT_BUILD_UPDATE_URL);
    expect(buildUpdateUrl({ BULKHEAD_UPDATE_URL: 'https://wms.example.com/updates' })).toBe(
      'https://wms.example.com/updates/',
    );
    expect(() => buildUpdateUrl({ BULKHEAD_UPDATE_URL: 'file:///srv' })).toThrow('http(s)');
    expect(buildUpdateChannel({ BULKHEAD_UPDATE_CHANNEL: 'beta' })).toBe('beta');
    expect(() => buildUpdateChannel({ BULKHEAD_UPDATE_CHANNEL: 'nightly' })).toThrow();
    expect(config({ BULKHEAD_UPDATE_URL: 'https://u.example/f/' }).publish).toEqual([
      { provider: 'generic', url: 'https://u.example/f/', channel: 'latest' },
    ]);
  });

  it('Azure Trusted Signing needs all of its settings', () => {
    expect(() => config({ AZURE_TRUSTED_SIGNING_ENDPOINT: 'https://x' })).toThrow(
      'AZURE_TRUSTED_SIGNING_ACCOUNT',
    );
  });
});

describe('dist preflight', () => {
  it('names the missing signing inputs per platform', () => {
    expect(missingSigningInputs('win', {})).toHaveLength(1);
    expect(missingSigningInputs('win', { WIN_CSC_LINK: 'c.pfx', WIN_CSC_KEY_PASSWORD: 'p' })).toEqual([]);
    expect(missingSigningInputs('win', { WIN_CSC_LINK: 'c.pfx' })).toEqual(['WIN_CSC_KEY_PASSWORD']);
    expect(missingSigningInputs('win', { AZURE_TRUSTED_SIGNING_ENDPOINT: 'https://x' })).toContain(
      'AZURE_CLIENT_SECRET',
    );
    expect(missingSigningInputs('mac', { CSC_LINK: 'id.p12', CSC_KEY_PASSWORD: 'p' })).toEqual([
      'APPLE_API_KEY',
      'APPLE_API_KEY_ID',
      'APPLE_API_ISSUER',
    ]);
    expect(missingSigningInputs('linux', {})).toEqual([]);
  });

  it('parses the platform flag', () => {
    expect(parseDistArgs(['--win'])).toEqual({ platform: 'win', unsigned: false });
    expect(parseDistArgs(['--mac', '--unsigned'])).toEqual({ platform: 'mac', unsigned: true });
    expect(() => parseDistArgs([])).toThrow('usage');
    expect(() => parseDistArgs(['--win', '--mac'])).toThrow('usage');
  });
});

describe('packaging verification helpers', () => {
  it('asarProblems flags node_modules, maps, sources, tests, strays and missing files', () => {
    const expected = ['/package.json', '/dist/electron/main.cjs'];
    expect(asarProblems(expected, expected)).toEqual([]);
    expect(
      asarProblems(
        [
          ...expected,
          '/node_modules/zod/index.js',
          '/dist/electron/main.cjs.map',
          '/electron/main/main.ts',
          '/tests/unit/x.test.js',
          '/README.md',
        ],
        [...expected, '/dist/electron/preload.cjs'],
      ),
    ).toEqual([
      'node_modules in asar: /node_modules/zod/index.js',
      'source map in asar: /dist/electron/main.cjs.map',
      'TypeScript source in asar: /electron/main/main.ts',
      'test file in asar: /tests/unit/x.test.js',
      'unexpected file in asar: /README.md',
      'missing from asar: /dist/electron/preload.cjs',
    ]);
  });

  it('parseFlatYaml reads app-update.yml as electron-builder writes it', () => {
    expect(
      parseFlatYaml(
        "provider: generic\nurl: 'https://x.example/updates/'\nupdaterCacheDirName: bulkhead-updater\n",
      ),
    ).toEqual({
      provider: 'generic',
      url: 'https://x.example/updates/',
      updaterCacheDirName: 'bulkhead-updater',
    });
  });

  it('readFuses reads a fuse wire after the sentinel', () => {
    const wire = Buffer.concat([
      Buffer.from('prefix'),
      Buffer.from(FUSE_SENTINEL, 'latin1'),
      Buffer.from([1, 8]),
      Buffer.from('01001101', 'latin1'),
    ]);
    expect(readFuses(wire)).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: true,
    });
    expect(() => readFuses(Buffer.from('no wire'))).toThrow('sentinel');
    expect(Object.keys(ELECTRON_FUSES)).toHaveLength(7);
  });
});
