import { z } from 'zod';

/** Machine configuration the renderer may know about (never secrets). */
export const RendererConfig = z.object({
  serverUrl: z.url(),
  locale: z.enum(['en', 'zh-CN']).nullable(),
});
export type RendererConfig = z.infer<typeof RendererConfig>;

/**
 * What the auto-updater is doing, for the "update ready, restart" banner. `disabled` says why
 * (`config`: IT turned updates off; `not-packaged`: a development run; `unsupported`: an install
 * type the updater cannot replace, e.g. a deb/rpm/MSI managed by IT's software distribution).
 */
export const UpdateStatus = z.discriminatedUnion('state', [
  z.object({ state: z.literal('disabled'), reason: z.enum(['config', 'not-packaged', 'unsupported']) }),
  z.object({ state: z.literal('idle') }),
  z.object({ state: z.literal('checking') }),
  z.object({ state: z.literal('up-to-date'), checkedAt: z.string() }),
  z.object({ state: z.literal('downloading'), version: z.string(), percent: z.number().min(0).max(100) }),
  z.object({ state: z.literal('ready'), version: z.string() }),
  z.object({ state: z.literal('error'), message: z.string() }),
]);
export type UpdateStatus = z.infer<typeof UpdateStatus>;

/** Keys under which the secret store keeps values, per user: refresh token, offline sign-in record, throttle. */
export const SecretKey = z.string().regex(/^(refresh|offline|offline-throttle):[A-Za-z0-9._-]{1,64}$/);

/**
 * The IPC contract: channel → payload schema and result type. Main parses every payload with
 * the schema; the preload exposes exactly these calls and nothing else.
 */
export const IPC = {
  'config:get': { payload: z.undefined(), result: RendererConfig },
  'secret:get': { payload: z.object({ key: SecretKey }).strict(), result: z.string().nullable() },
  'secret:set': {
    payload: z.object({ key: SecretKey, value: z.string().min(1).max(4096) }).strict(),
    result: z.void(),
  },
  'secret:delete': { payload: z.object({ key: SecretKey }).strict(), result: z.void() },
  'app:info': {
    payload: z.undefined(),
    result: z.object({ version: z.string(), platform: z.string() }),
  },
  'update:status': { payload: z.undefined(), result: UpdateStatus },
  /** Quits and installs a downloaded update; refused with `[update-not-ready]` unless `ready`. */
  'update:install': { payload: z.undefined(), result: z.void() },
} as const;

/** Every IPC channel name. */
export type IpcChannel = keyof typeof IPC;
/** Payload type of a channel. */
export type IpcPayload<C extends IpcChannel> = z.infer<(typeof IPC)[C]['payload']>;
/** Result type of a channel. */
export type IpcResult<C extends IpcChannel> = z.infer<(typeof IPC)[C]['result']>;

/** The single object the preload exposes on `window.bulkhead`. */
export type BulkheadBridge = {
  readonly getConfig: () => Promise<IpcResult<'config:get'>>;
  readonly getSecret: (key: string) => Promise<string | null>;
  readonly setSecret: (key: string, value: string) => Promise<void>;
  readonly deleteSecret: (key: string) => Promise<void>;
  readonly appInfo: () => Promise<IpcResult<'app:info'>>;
  readonly updateStatus: () => Promise<UpdateStatus>;
  readonly installUpdate: () => Promise<void>;
};

/** Name of the global the preload defines. */
export const BRIDGE_GLOBAL = 'bulkhead';
