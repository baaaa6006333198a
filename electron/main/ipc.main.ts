/**
 * IPC handlers, typed from the shared contract. Every channel goes through the same gate:
 * trusted sender → zod-parsed payload → handler → zod-checked result. Nothing runs for a call
 * that fails a check. Errors carry a stable code in the message as `[code] …` because Electron
 * serializes only the message of an error thrown from `ipcMain.handle` to the renderer.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { z } from 'zod';
import { IPC } from '../../shared/ipc/contract.js';
import type { IpcChannel, IpcPayload, IpcResult, RendererConfig } from '../../shared/ipc/contract.js';
import type { SecretStore } from './secrets.main.js';
import type { UpdateController } from './updater.main.js';

/** One handler per channel, typed from the contract. */
export type IpcHandlers = {
  readonly [C in IpcChannel]: (payload: IpcPayload<C>) => Promise<IpcResult<C>> | IpcResult<C>;
};

/** Stable error codes of the IPC gate. */
export type IpcErrorCode = 'untrusted-sender' | 'bad-payload' | 'bad-result' | 'handler-failed';

/** An IPC failure with a stable code. */
export class IpcError extends Error {
  override readonly name = 'IpcError';
  constructor(
    readonly code: IpcErrorCode,
    readonly channel: IpcChannel,
    message: string,
  ) {
    super(`[${code}] ${channel}: ${message}`);
  }
}

/** Decides whether an IPC event comes from our own app frame (see security.ts). */
export type SenderGuard = (event: IpcMainInvokeEvent) => boolean;

/** Every channel of the contract, in declaration order. */
export const IPC_CHANNELS = Object.freeze(Object.keys(IPC) as IpcChannel[]);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) =>
        `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(payload)'}: ${issue.message}`,
    )
    .join('; ');
}

/**
 * Registers every contract channel on `ipcMain`. Returns a function removing them again
 * (used by tests and on window teardown).
 */
export function registerIpcHandlers(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  handlers: IpcHandlers,
  isTrustedSender: SenderGuard,
): () => void {
  for (const channel of IPC_CHANNELS) registerChannel(ipcMain, channel, handlers[channel], isTrustedSender);
  return () => {
    for (const channel of IPC_CHANNELS) ipcMain.removeHandler(channel);
  };
}

function registerChannel<C extends IpcChannel>(
  ipcMain: Pick<IpcMain, 'handle'>,
  channel: C,
  handler: IpcHandlers[C],
  isTrustedSender: SenderGuard,
): void {
  // The contract is a const object, so indexing by a generic key widens to a union of schemas.
  const payloadSchema = IPC[channel].payload as unknown as z.ZodType<IpcPayload<C>>;
  const resultSchema = IPC[channel].result as unknown as z.ZodType<IpcResult<C>>;

  ipcMain.handle(channel, async (event, ...args: unknown[]) => {
    if (!isTrustedSender(event))
      throw new IpcError('untrusted-sender', channel, 'sender is not the app window');
    // Each channel takes at most one argument; extra arguments are a malformed call.
    if (args.length > 1)
      throw new IpcError('bad-payload', channel, `expected at most 1 argument, got ${args.length}`);
    const payload = payloadSchema.safeParse(args[0]);
    if (!payload.success) throw new IpcError('bad-payload', channel, describeIssues(payload.error));

    let raw: unknown;
    try {
      raw = await handler(payload.data);
    } catch (error) {
      if (error instanceof IpcError) throw error;
      // Keep the cause's coded message (e.g. "[encryption-unavailable] …") for the renderer.
      const reason = error instanceof Error ? error.message : String(error);
      throw new IpcError('handler-failed', channel, reason);
    }
    const result = resultSchema.safeParse(raw);
    if (!result.success) throw new IpcError('bad-result', channel, describeIssues(result.error));
    return result.data;
  });
}

/** What the handlers need from the rest of main. */
export type IpcHandlerDeps = {
  readonly rendererConfig: RendererConfig;
  readonly secrets: Pick<SecretStore, 'get' | 'set' | 'delete'>;
  readonly appInfo: { readonly version: string; readonly platform: string };
  readonly updates: Pick<UpdateController, 'status' | 'install'>;
};

/** The production handler map. */
export function createIpcHandlers(deps: IpcHandlerDeps): IpcHandlers {
  return {
    'config:get': () => ({ ...deps.rendererConfig }),
    'secret:get': ({ key }) => deps.secrets.get(key),
    'secret:set': ({ key, value }) => deps.secrets.set(key, value),
    'secret:delete': ({ key }) => deps.secrets.delete(key),
    'app:info': () => ({ ...deps.appInfo }),
    'update:status': () => deps.updates.status(),
    'update:install': () => deps.updates.install(),
  };
}
