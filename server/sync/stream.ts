import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../shared/access/policy.js';
import { roleCan } from '../../shared/access/policy.js';
import type { StreamEvent } from '../../shared/sync/protocol.js';
import type { AuthDeps } from '../auth/service.js';
import { authenticate, isSessionLive } from '../auth/service.js';
import { currentSeq, withTenantScope } from '../db/scope.js';
import { HttpError } from '../http/errors.js';
import type { ChangeHub, HubMessage } from './hub.js';

export const HEARTBEAT_MS = 15_000;

/**
 * Open SSE responses, so shutdown can end them instead of waiting forever. `closing` is set when
 * shutdown begins: a stream still being set up then (authenticating, reading its scope) is
 * answered 503 instead of being opened after the others were ended — the server would otherwise
 * wait for that client to hang up before it could stop (soak seed 1100000128: a tenant switch
 * right before a restart held the restart for ~60 s).
 */
export class StreamRegistry extends Set<() => void> {
  closing = false;
}

/**
 * Server-sent events for one tenant. The scope is checked at connect and re-checked on every
 * heartbeat, so a revoked or expired membership ends the stream with `membership-revoked`.
 * Control notices (role/policy change, revocation) arrive through the hub from any instance.
 */
export async function openStream(
  deps: AuthDeps & { hub: ChangeHub; streams: StreamRegistry; heartbeatMs?: number },
  req: FastifyRequest,
  reply: FastifyReply,
  tenantId: string,
): Promise<void> {
  const auth = await authenticate(deps, req.headers.authorization);
  const pending: HubMessage[] = [];
  let send: ((c: HubMessage) => void) | null = null;
  // Subscribe before reading the hello seq: a change committed in between is then queued,
  // never lost (the client may see it twice, which is harmless).
  const unsubscribe = await deps.hub.subscribe(tenantId, (c) => (send ? send(c) : pending.push(c)));
  let seq: number;
  // Alerts go only to those who may read them; the role is re-read on every recheck.
  let role: Role | null = null;
  try {
    seq = await withTenantScope(
      deps.db,
      auth.userId,
      tenantId,
      async (tx, s) => {
        role = s.role;
        return currentSeq(tx, tenantId);
      },
      { at: deps.at() },
    );
  } catch (e) {
    unsubscribe();
    throw e;
  }

  if (deps.streams.closing) {
    unsubscribe();
    // And hang up after the answer: a kept-alive connection would hold the shutdown as well.
    reply.raw.shouldKeepAlive = false;
    void reply.header('connection', 'close');
    throw new HttpError(503, 'shutting_down', 'the server is restarting; retry shortly');
  }
  // From here to the registration below nothing waits: shutdown either sees this stream or has
  // already refused it above.
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
  let closed = false;
  const write = (ev: StreamEvent): void => {
    if (!closed) res.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`);
  };

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

  /** Re-checks the session and membership; ends the stream when either is gone. */
  const recheck = async (): Promise<number | null> => {
    try {
      if (!(await isSessionLive(deps, auth.sessionId, auth.userId)))
        throw new HttpError(401, 'unauthenticated', 'session has ended');
      return await withTenantScope(
        deps.db,
        auth.userId,
        tenantId,
        (_tx, s) => {
          role = s.role;
          return Promise.resolve(s.policyVersion);
        },
        {
          at: deps.at(),
        },
      );
    } catch (e) {
      if (closed) return null;
      if (e instanceof HttpError && e.status === 403) write({ type: 'membership-revoked', tenantId });
      else if (e instanceof HttpError && e.status === 401) write({ type: 'session-ended' });
      else return null; // transient (database hiccup): keep the stream, try again next beat
      close();
      return null;
    }
  };

  const timer = setInterval(() => {
    if (closed) return;
    res.write(': heartbeat\n\n');
    // The session, not the 15-minute access token, bounds a stream's life.
    void recheck();
  }, deps.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();

  write({ type: 'hello', tenantId, seq });
  send = (m) => {
    if (closed) return;
    if (m.kind === 'change') {
      write({ type: 'change', tenantId: m.tenantId, seq: m.seq, collections: m.collections });
      return;
    }
    if (m.kind === 'alert') {
      if (role !== null && roleCan(role, 'alerts:read'))
        write({ type: 'alert', tenantId: m.tenantId, alertId: m.alertId, rule: m.rule });
      return;
    }
    if (m.userId !== undefined && m.userId !== auth.userId) return;
    if (m.control === 'membership-revoked') {
      write({ type: 'membership-revoked', tenantId });
      close();
      return;
    }
    // policy-changed: each connection gets its own user's version (or membership-revoked).
    void recheck().then((policyVersion) => {
      if (policyVersion !== null) write({ type: 'policy-changed', tenantId, policyVersion });
    });
  };
  for (const c of pending.splice(0)) send(c);
}
