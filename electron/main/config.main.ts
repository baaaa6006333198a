/**
 * Machine configuration, written by IT (server URL, updates, offline grace, wipe-on-logout,
 * default locale). It is a JSON
 * file in a machine-wide location that ordinary users cannot write, parsed with zod; a broken
 * file yields a typed error naming the file and the field, which main turns into an error page
 * instead of crashing or silently falling back to a default server.
 */
import nodePath from 'node:path';
import { z } from 'zod';
import type { RendererConfig } from '../../shared/ipc/contract.js';

/** Server used when no config names one (the zero-setup local server). */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8787';
/** Environment override, honoured only in development. */
export const SERVER_URL_ENV = 'BULKHEAD_SERVER_URL';
/** Name of the config file in every location. */
export const CONFIG_FILE_NAME = 'config.json';
/** Update channels IT may pick; each is a `<channel>*.yml` file in the update feed folder. */
export const UPDATE_CHANNELS = ['latest', 'beta', 'alpha'] as const;
/** Offline grace period when the config names none: three days without a server contact. */
export const DEFAULT_OFFLINE_GRACE_HOURS = 72;
/** Upper bound of the offline grace period (30 days); longer would defeat revocation (I7). */
export const MAX_OFFLINE_GRACE_HOURS = 720;

const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/**
 * The file's schema. Unknown keys are stripped rather than rejected, so a config written for a
 * newer version still starts an older one; add new keys here as optional fields.
 */
export const MachineConfigFile = z.object({
  serverUrl: httpUrl().optional(),
  locale: z.enum(['en', 'zh-CN']).optional(),
  /** Folder URL of the update feed; default `<serverUrl>/updates/`. */
  updateUrl: httpUrl().optional(),
  updateChannel: z.enum(UPDATE_CHANNELS).optional(),
  /** `false` turns automatic updates off (e.g. MSI fleets updated by software distribution). */
  updatesEnabled: z.boolean().optional(),
  /** Let the feed move clients to an OLDER version (rollback by republishing the old build). */
  updateAllowDowngrade: z.boolean().optional(),
  offlineGraceHours: z.number().int().min(0).max(MAX_OFFLINE_GRACE_HOURS).optional(),
  wipeOnLogout: z.boolean().optional(),
});
export type MachineConfigFile = z.infer<typeof MachineConfigFile>;

/** The effective configuration after merging defaults and every source. */
export type MachineConfig = {
  readonly serverUrl: string;
  readonly locale: 'en' | 'zh-CN' | null;
  readonly updates: UpdateSettings;
  readonly offlineGraceHours: number;
  readonly wipeOnLogout: boolean;
  /** Where the values came from, for diagnostics (paths or `env:NAME` or `default`). */
  readonly sources: readonly string[];
};

/** Effective update settings. */
export type UpdateSettings = {
  readonly enabled: boolean;
  /** Feed folder URL, always ending in `/`. */
  readonly url: string;
  readonly channel: (typeof UPDATE_CHANNELS)[number];
  readonly allowDowngrade: boolean;
};

/** The feed folder under a server URL: `<server>/updates/`. */
export function defaultUpdateUrl(serverUrl: string): string {
  return new URL('updates/', serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`).href;
}

function asFolderUrl(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Stable error codes of config loading. */
export type ConfigErrorCode = 'config-unreadable' | 'config-invalid-json' | 'config-invalid';

/** A config problem: what, where, and a message an IT person can act on. */
export type ConfigError = {
  readonly code: ConfigErrorCode;
  readonly message: string;
  readonly path: string;
};

/** Result of loading the config; never throws. */
export type LoadConfigResult =
  { readonly ok: true; readonly config: MachineConfig } | { readonly ok: false; readonly error: ConfigError };

/** Reads a UTF-8 file; resolves null when the file does not exist, rejects on other errors. */
export type ReadConfigFile = (filePath: string) => Promise<string | null>;

/** Inputs of loadMachineConfig, all injected so tests cover every OS on one machine. */
export type LoadConfigOptions = {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: ReadConfigFile;
  readonly isPackaged: boolean;
  /** Electron's `app.getPath('userData')`; only used in development. */
  readonly userDataDir: string;
};

/** The machine-wide config file path for an OS. */
export function machineConfigPath(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
): string {
  switch (platform) {
    case 'win32': {
      // Windows env names are case-insensitive but an injected plain object is not.
      const programData = env['ProgramData'] ?? env['PROGRAMDATA'] ?? 'C:\\ProgramData';
      return nodePath.win32.join(programData, 'Bulkhead', CONFIG_FILE_NAME);
    }
    case 'darwin':
      return nodePath.posix.join('/Library/Application Support/Bulkhead', CONFIG_FILE_NAME);
    default:
      return nodePath.posix.join('/etc/bulkhead', CONFIG_FILE_NAME);
  }
}

/** The development-only per-user config file path. */
export function userConfigPath(platform: NodeJS.Platform, userDataDir: string): string {
  return (platform === 'win32' ? nodePath.win32 : nodePath.posix).join(userDataDir, CONFIG_FILE_NAME);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
      return `field "${field}": ${issue.message}`;
    })
    .join('; ');
}

async function readSource(
  filePath: string,
  readFile: ReadConfigFile,
): Promise<{ ok: true; value: MachineConfigFile | null } | { ok: false; error: ConfigError }> {
  let text: string | null;
  try {
    text = await readFile(filePath);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error: {
        code: 'config-unreadable',
        message: `Cannot read config file ${filePath}: ${reason}`,
        path: filePath,
      },
    };
  }
  if (text === null) return { ok: true, value: null };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error: {
        code: 'config-invalid-json',
        message: `Config file ${filePath} is not valid JSON: ${reason}`,
        path: filePath,
      },
    };
  }
  const parsed = MachineConfigFile.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'config-invalid',
        message: `Config file ${filePath} is invalid: ${describeIssues(parsed.error)}`,
        path: filePath,
      },
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Loads the effective config. Precedence, lowest first: built-in default, machine file, and in
 * development only the per-user file and then the environment variable. A packaged build reads
 * only the machine file, so a user cannot point a managed install at another server.
 */
export async function loadMachineConfig(options: LoadConfigOptions): Promise<LoadConfigResult> {
  let serverUrl = DEFAULT_SERVER_URL;
  let locale: 'en' | 'zh-CN' | null = null;
  // Later sources override earlier ones key by key.
  let merged: MachineConfigFile = {};
  const sources: string[] = ['default'];

  const files = [machineConfigPath(options.platform, options.env)];
  if (!options.isPackaged) files.push(userConfigPath(options.platform, options.userDataDir));

  for (const filePath of files) {
    const source = await readSource(filePath, options.readFile);
    if (!source.ok) return source;
    if (source.value === null) continue;
    sources.push(filePath);
    serverUrl = source.value.serverUrl ?? serverUrl;
    locale = source.value.locale ?? locale;
    merged = { ...merged, ...stripUndefined(source.value) };
  }

  const fromEnv = options.isPackaged ? undefined : options.env[SERVER_URL_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const envPath = `env:${SERVER_URL_ENV}`;
    const parsed = MachineConfigFile.shape.serverUrl.safeParse(fromEnv);
    if (!parsed.success || parsed.data === undefined) {
      return {
        ok: false,
        error: {
          code: 'config-invalid',
          message: `Environment variable ${SERVER_URL_ENV} is invalid: must be an http:// or https:// URL (got "${fromEnv}")`,
          path: envPath,
        },
      };
    }
    serverUrl = parsed.data;
    sources.push(envPath);
  }

  return {
    ok: true,
    config: {
      serverUrl,
      locale,
      updates: {
        enabled: merged.updatesEnabled ?? true,
        url: asFolderUrl(merged.updateUrl ?? defaultUpdateUrl(serverUrl)),
        channel: merged.updateChannel ?? 'latest',
        allowDowngrade: merged.updateAllowDowngrade ?? false,
      },
      offlineGraceHours: merged.offlineGraceHours ?? DEFAULT_OFFLINE_GRACE_HOURS,
      wipeOnLogout: merged.wipeOnLogout ?? false,
      sources,
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The part of the machine config the renderer may see. */
export function toRendererConfig(config: MachineConfig): RendererConfig {
  return { serverUrl: config.serverUrl, locale: config.locale };
}
