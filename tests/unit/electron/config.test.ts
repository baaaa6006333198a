import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OFFLINE_GRACE_HOURS,
  DEFAULT_SERVER_URL,
  defaultUpdateUrl,
  loadMachineConfig,
  machineConfigPath,
  toRendererConfig,
  userConfigPath,
} from '../../../electron/main/config.main.js';
import type { LoadConfigOptions } from '../../../electron/main/config.main.js';

function reader(files: Record<string, string>, failing: Record<string, Error> = {}) {
  const reads: string[] = [];
  const readFile = (filePath: string): Promise<string | null> => {
    reads.push(filePath);
    if (filePath in failing) return Promise.reject(failing[filePath]!);
    return Promise.resolve(files[filePath] ?? null);
  };
  return { readFile, reads };
}

const LINUX = '/etc/bulkhead/config.json';
const USER_DIR = '/home/op/.config/Bulkhead';
const USER = `${USER_DIR}/config.json`;

/** The effective config for a server URL when nothing else is configured. */
function defaults(serverUrl: string) {
  return {
    updates: {
      enabled: true,
      url: defaultUpdateUrl(serverUrl),
      channel: 'latest' as const,
      allowDowngrade: false,
    },
    offlineGraceHours: DEFAULT_OFFLINE_GRACE_HOURS,
    wipeOnLogout: false,
  };
}

function options(
  overrides: Partial<LoadConfigOptions> & Pick<LoadConfigOptions, 'readFile'>,
): LoadConfigOptions {
  return { platform: 'linux', env: {}, isPackaged: true, userDataDir: USER_DIR, ...overrides };
}

describe('machineConfigPath', () => {
  it('uses the machine-wide location of each OS', () => {
    expect(machineConfigPath('win32', { ProgramData: 'D:\\ProgramData' })).toBe(
      'D:\\ProgramData\\Bulkhead\\config.json',
    );
    expect(machineConfigPath('win32', { PROGRAMDATA: 'E:\\PD' })).toBe('E:\\PD\\Bulkhead\\config.json');
    expect(machineConfigPath('win32', {})).toBe('C:\\ProgramData\\Bulkhead\\config.json');
    expect(machineConfigPath('linux', {})).toBe('/etc/bulkhead/config.json');
    expect(machineConfigPath('darwin', {})).toBe('/Library/Application Support/Bulkhead/config.json');
  });

  it('puts the dev per-user file in userData', () => {
    expect(userConfigPath('linux', USER_DIR)).toBe(USER);
    expect(userConfigPath('win32', 'C:\\Users\\op\\AppData\\Roaming\\Bulkhead')).toBe(
      'C:\\Users\\op\\AppData\\Roaming\\Bulkhead\\config.json',
    );
  });
});

describe('loadMachineConfig', () => {
  it('defaults to the local server when no file exists', async () => {
    const result = await loadMachineConfig(options({ readFile: reader({}).readFile }));
    expect(result).toEqual({
      ok: true,
      config: {
        serverUrl: DEFAULT_SERVER_URL,
        locale: null,
        sources: ['default'],
        ...defaults(DEFAULT_SERVER_URL),
      },
    });
  });

  it.each([
    ['win32', 'C:\\ProgramData\\Bulkhead\\config.json', { ProgramData: 'C:\\ProgramData' }],
    ['linux', '/etc/bulkhead/config.json', {}],
    ['darwin', '/Library/Application Support/Bulkhead/config.json', {}],
  ] as const)('reads the %s machine file', async (platform, filePath, env) => {
    const { readFile } = reader({ [filePath]: '{"serverUrl":"https://wms.example.com","locale":"zh-CN"}' });
    const result = await loadMachineConfig(options({ platform, env, readFile }));
    expect(result).toEqual({
      ok: true,
      config: {
        serverUrl: 'https://wms.example.com',
        locale: 'zh-CN',
        sources: ['default', filePath],
        ...defaults('https://wms.example.com'),
      },
    });
  });

  it('ignores unknown keys so newer config files still load', async () => {
    const { readFile } = reader({
      [LINUX]: '{"serverUrl":"https://wms.example.com","kioskMode":true}',
    });
    const result = await loadMachineConfig(options({ readFile }));
    expect(result.ok).toBe(true);
  });

  it('invalid JSON → config-invalid-json naming the file', async () => {
    const { readFile } = reader({ [LINUX]: '{"serverUrl": ' });
    const result = await loadMachineConfig(options({ readFile }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('config-invalid-json');
    expect(result.error.path).toBe(LINUX);
    expect(result.error.message).toContain(LINUX);
  });

  it.each([
    ['serverUrl', '{"serverUrl":"not a url"}'],
    ['serverUrl', '{"serverUrl":"ftp://wms.example.com"}'],
    ['serverUrl', '{"serverUrl":42}'],
    ['locale', '{"locale":"fr"}'],
    ['updateUrl', '{"updateUrl":"file:///srv/updates"}'],
    ['updateChannel', '{"updateChannel":"nightly"}'],
    ['updatesEnabled', '{"updatesEnabled":"no"}'],
    ['updateAllowDowngrade', '{"updateAllowDowngrade":1}'],
    ['offlineGraceHours', '{"offlineGraceHours":-1}'],
    ['offlineGraceHours', '{"offlineGraceHours":1.5}'],
    ['offlineGraceHours', '{"offlineGraceHours":100000}'],
    ['wipeOnLogout', '{"wipeOnLogout":"yes"}'],
  ])('invalid field → config-invalid naming "%s" and the file', async (field, text) => {
    const { readFile } = reader({ [LINUX]: text });
    const result = await loadMachineConfig(options({ readFile }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('config-invalid');
    expect(result.error.path).toBe(LINUX);
    expect(result.error.message).toContain(LINUX);
    expect(result.error.message).toContain(`field "${field}"`);
  });

  it('a top-level non-object is reported, not crashed on', async () => {
    const { readFile } = reader({ [LINUX]: '[1,2]' });
    const result = await loadMachineConfig(options({ readFile }));
    expect(result.ok || result.error.code).toBe('config-invalid');
  });

  it('an unreadable file (permissions) → config-unreadable', async () => {
    const { readFile } = reader(
      {},
      { [LINUX]: Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }) },
    );
    const result = await loadMachineConfig(options({ readFile }));
    expect(result).toEqual({
      ok: false,
      error: { code: 'config-unreadable', path: LINUX, message: expect.stringContaining('EACCES') as string },
    });
  });

  it('packaged: the per-user file and env are ignored (not even read)', async () => {
    const { readFile, reads } = reader({
      [LINUX]: '{"serverUrl":"https://wms.example.com"}',
      [USER]: '{"serverUrl":"https://attacker.example"}',
    });
    const result = await loadMachineConfig(
      options({ readFile, isPackaged: true, env: { BULKHEAD_SERVER_URL: 'https://attacker.example' } }),
    );
    expect(result.ok && result.config.serverUrl).toBe('https://wms.example.com');
    expect(reads).toEqual([LINUX]);
  });

  it('development: per-user file overrides the machine file, env overrides both', async () => {
    const { readFile } = reader({
      [LINUX]: '{"serverUrl":"https://wms.example.com","locale":"en"}',
      [USER]: '{"serverUrl":"http://localhost:9000"}',
    });
    const fromFile = await loadMachineConfig(options({ readFile, isPackaged: false }));
    expect(fromFile).toEqual({
      ok: true,
      config: {
        serverUrl: 'http://localhost:9000',
        locale: 'en',
        sources: ['default', LINUX, USER],
        ...defaults('http://localhost:9000'),
      },
    });
    const fromEnv = await loadMachineConfig(
      options({ readFile, isPackaged: false, env: { BULKHEAD_SERVER_URL: 'http://127.0.0.1:9999' } }),
    );
    expect(fromEnv.ok && fromEnv.config.serverUrl).toBe('http://127.0.0.1:9999');
    expect(fromEnv.ok && fromEnv.config.sources.at(-1)).toBe('env:BULKHEAD_SERVER_URL');
  });

  it('development: an invalid env value is reported with its name', async () => {
    const result = await loadMachineConfig(
      options({ readFile: reader({}).readFile, isPackaged: false, env: { BULKHEAD_SERVER_URL: 'nope' } }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: 'config-invalid', path: 'env:BULKHEAD_SERVER_URL' });
  });

  it('reads every IT setting: updates, offline grace, wipe-on-logout', async () => {
    const { readFile } = reader({
      [LINUX]: JSON.stringify({
        serverUrl: 'https://wms.example.com',
        updateUrl: 'https://files.example.com/bulkhead',
        updateChannel: 'beta',
        updatesEnabled: false,
        updateAllowDowngrade: true,
        offlineGraceHours: 8,
        wipeOnLogout: true,
      }),
    });
    const result = await loadMachineConfig(options({ readFile }));
    expect(result.ok && result.config).toMatchObject({
      serverUrl: 'https://wms.example.com',
      // A folder URL always ends in "/", or the feed's relative file names would resolve wrongly.
      updates: {
        enabled: false,
        url: 'https://files.example.com/bulkhead/',
        channel: 'beta',
        allowDowngrade: true,
      },
      offlineGraceHours: 8,
      wipeOnLogout: true,
    });
  });

  it("the default update feed is the server's /updates/ folder, also under a path prefix", () => {
    expect(defaultUpdateUrl('https://wms.example.com')).toBe('https://wms.example.com/updates/');
    expect(defaultUpdateUrl('https://wms.example.com/bulkhead')).toBe(
      'https://wms.example.com/bulkhead/updates/',
    );
    expect(defaultUpdateUrl('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787/updates/');
  });

  it('development: the per-user file overrides single keys of the machine file', async () => {
    const { readFile } = reader({
      [LINUX]: '{"updateChannel":"beta","wipeOnLogout":true}',
      [USER]: '{"updateChannel":"alpha"}',
    });
    const result = await loadMachineConfig(options({ readFile, isPackaged: false }));
    expect(result.ok && result.config.updates.channel).toBe('alpha');
    expect(result.ok && result.config.wipeOnLogout).toBe(true);
  });

  it('toRendererConfig exposes only renderer-safe keys', () => {
    expect(
      toRendererConfig({
        serverUrl: 'https://a.example/',
        locale: null,
        sources: ['default'],
        ...defaults('https://a.example/'),
      }),
    ).toEqual({
      serverUrl: 'https://a.example/',
      locale: null,
    });
  });
});
