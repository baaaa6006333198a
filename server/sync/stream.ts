import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StreamEvent } from '../../shared/sync/protocol.js';
import type { AuthDeps } from '../auth/service.js';
import { authenticate, isSessionLive } from '../auth/service.js';
import { currentSeq, withTenantScope } from '../db/scope.js';
import { HttpError } from '../http/errors.js';
import type { ChangeHub, ChangePayload } from './hub.js';

export const HEARTBEAT_MS = 15_000;

/** Open SSE responses, so shutdown can end them instead of waiting forever. */
export type StreamRegistry = Set<() => void>;

/**
 * Server-sent events for one tenant. The scope is checked at connect and re-checked on every
 * heartbeat, so a revoked or expired membership ends the stream with `membership-revoked`.
 */
export async function openStream(
  deps: AuthDeps & { hub: ChangeHub; streams: StreamRegistry; heartbeatMs?: number },
  req: FastifyRequest,
  reply: FastifyReply,
  tenantId: string,
): Promise<void> {
  const auth = await authenticate(deps, req.headers.authorization);
  const pending: ChangePayload[] = [];
  let send: ((c: ChangePayload) => void) | null = null;
  // Subscribe before reading the hello seq: a change committed in between is then queued,
  // never lost (the client may see it twice, which is harmless).
  const unsubscribe = await deps.hub.subscribe(tenantId, (c) => (send ? send(c) : pending.push(c)));
  let seq: number;
  try {
    seq = await withTenantScope(deps.db, auth.userId, tenantId, (tx) => currentSeq(tx, tenantId));
  } catch (e) {
    unsubscribe();
    throw e;
  }

  reply.hijack();
  const res = reply.raw;
  const headers: Record<string, string | number | string[]> = {};
  // Keep headers set by hooks (CORS) that a hijacked reply would otherwise drop.
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const write = (ev: StreamEvent): void => {
    res.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
  };

  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    unsubscribe();
    deps.streams.delete(close);
    res.end();
  };
  deps.streams.add(close);
  req.raw.on('close', close);
  res.on('error', close);

  const timer = setInterval(() => {
    res.write(': heartbeat\n\n');
    // The session, not the 15-minute access token, bounds a stream's life.
    isSessionLive(deps, auth.sessionId, auth.userId)
      .then((live) => {
        if (!live) throw new HttpError(401, 'unauthenticated', 'session has ended');
        return withTenantScope(deps.db, auth.userId, tenantId, () => Promise.resolve());
      })
      .catch((e: unknown) => {
        if (closed) return;
        if (e instanceof HttpError && e.status === 403) write({ type: 'membership-revoked', tenantId });
        else if (e instanceof HttpError && e.status === 401) write({ type: 'session-ended' });
        else return; // transient (database hiccup): keep the stream, try again next beat
        close();
      });
  }, deps.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();

  write({ type: 'hello', tenantId, seq });
  send = (c) => {
    if (!closed) write({ type: 'change', tenantId: c.tenantId, seq: c.seq, collections: c.collections });
  };
  for (const c of pending.splice(0)) send(c);
}
