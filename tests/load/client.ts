/**
 * A small HTTP-level sync client for the load and database-fault suites: the wire protocol of
 * shared/sync/protocol.ts, timed, with a bounded wait per request (a hang counts as a failure)
 * and the retry rule of the real client (5xx and network errors are retried with the same body:
 * pushes are idempotent by document id).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoBinOf } from '../../server/db/seed.js';
import { takeSseEvents } from '../helpers/server.js';
import type { ClientAuditEntry } from '../../shared/audit/entry.js';
import type {
  ErrorBody,
  PullResponse,
  PushResponse,
  StreamEvent,
  SyncCollection,
} from '../../shared/sync/protocol.js';

export type CallResult<T = unknown> = {
  /** HTTP status; 0 when no answer came (network error or the per-request timeout). */
  status: number;
  body: T;
  ms: number;
  /** Why there was no answer (status 0). */
  error?: string;
};

export const REQUEST_TIMEOUT_MS = 15_000;

export async function call<T = unknown>(
  url: string,
  route: string,
  init: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<CallResult<T>> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}${route}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs ?? REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text, and a failed answer without a JSON body is itself a finding
    }
    return { status: res.status, body: body as T, ms: performance.now() - t0 };
  } catch (e) {
    return {
      status: 0,
      body: null as T,
      ms: performance.now() - t0,
      error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    };
  }
}

/** True when a failed answer has the standard JSON error body. */
export function hasErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const err = body.error;
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string';
}

/** A receipt movement of `tenant`, as the app pushes it. */
export function newMovement(tenant: string, itemId: string, deviceId: string, i: number) {
  return {
    id: randomUUID(),
    tenantId: tenant,
    itemId,
    type: 'receipt',
    quantity: 1 + (i % 5),
    fromLocationId: null,
    // 20 of the demo site's bins (the server refuses movements to unknown bins).
    toLocationId: demoBinOf(i % 20),
    batch: null,
    note: null,
    createdAt: new Date().toISOString(),
    createdBy: 'ignored',
    deviceId,
    seq: 0,
  };
}

/** A push body of `count` receipts with one audit entry each (I4), authored by `actorId`. */
export function movementPush(
  tenant: string,
  actorId: string,
  deviceId: string,
  itemIds: readonly string[],
  count: number,
  offset = 0,
): { ids: string[]; body: { changes: unknown[]; audit: ClientAuditEntry[] } } {
  const docs = Array.from({ length: count }, (_, k) =>
    newMovement(tenant, itemIds[(offset + k) % itemIds.length] ?? '', deviceId, offset + k),
  );
  return {
    ids: docs.map((d) => d.id),
    body: {
      changes: docs.map((d) => ({ assumedMasterState: null, newDocumentState: d })),
      audit: docs.map((d) => ({
        id: randomUUID(),
        entity: 'movements' as const,
        entityId: d.id,
        action: 'create' as const,
        actorId,
        deviceId,
        deviceTime: new Date().toISOString(),
        reason: null,
        confirmation: null,
      })),
    },
  };
}

export type RetryLog = {
  /** Every answer that was retried: 5xx, other non-2xx/4xx, and no answer (status 0). */
  failures: { status: number; code: string | null; jsonBody: boolean; error?: string }[];
};

/**
 * Sends the same request until it succeeds (2xx), retrying 5xx and no-answer with a short
 * backoff, as the app's replication does; a 4xx is final (returned, not logged). Gives up after
 * `deadlineMs`.
 */
export async function withRetry<T>(
  send: () => Promise<CallResult<T>>,
  log: RetryLog,
  deadlineMs = 60_000,
): Promise<CallResult<T>> {
  const until = Date.now() + deadlineMs;
  let backoff = 100;
  for (;;) {
    const r = await send();
    // A 4xx is the final answer (the caller judges it); only what gets retried is logged.
    if ((r.status >= 200 && r.status < 300) || (r.status >= 400 && r.status < 500)) return r;
    log.failures.push({
      status: r.status,
      code: hasErrorBody(r.body) ? r.body.error.code : null,
      jsonBody: hasErrorBody(r.body),
      ...(r.error ? { error: r.error } : {}),
    });
    if (Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, backoff));
    backoff = Math.min(1000, backoff * 2);
  }
}

export type Push = CallResult<PushResponse>;

export function pushMovements(
  url: string,
  token: string,
  tenant: string,
  body: unknown,
  timeoutMs?: number,
): Promise<Push> {
  return call<PushResponse>(url, `/api/t/${tenant}/sync/movements/push`, { token, body, timeoutMs });
}

export function pullPage(
  url: string,
  token: string,
  tenant: string,
  collection: SyncCollection,
  checkpoint: number | undefined,
  limit: number,
): Promise<CallResult<PullResponse>> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (checkpoint !== undefined) q.set('checkpoint', String(checkpoint));
  return call<PullResponse>(url, `/api/t/${tenant}/sync/${collection}/pull?${q.toString()}`, { token });
}

export type Stream = {
  /** Events received so far. */
  events: StreamEvent[];
  /** HTTP status of the stream request (0 while connecting or on a network error). */
  status: number;
  /** Whether the server ended the stream (or it failed). */
  ended(): boolean;
  /** Resolves when an event matching `pred` has arrived (already received ones count). */
  waitFor(pred: (e: StreamEvent) => boolean, timeoutMs: number): Promise<StreamEvent>;
  close(): void;
};

/** Opens `GET …/sync/stream` and parses server-sent events. */
export async function openStream(url: string, tenant: string, token: string): Promise<Stream> {
  const ac = new AbortController();
  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  const stream: Stream = {
    events,
    status: 0,
    ended: () => ended,
    waitFor(pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const e = events.find(pred);
          if (e) {
            done();
            resolve(e);
            return true;
          }
          if (ended) {
            done();
            reject(new Error('stream ended before the expected event'));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching stream event within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (): void => void check();
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        if (!check()) waiters.add(waiter);
      });
    },
    close: () => ac.abort(),
  };
  try {
    const res = await fetch(`${url}/api/t/${tenant}/sync/stream`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: ac.signal,
    });
    stream.status = res.status;
    if (!res.ok || !res.body) {
      ended = true;
      await res.body?.cancel().catch(() => {});
      return stream;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const taken = takeSseEvents(buf + value);
          buf = taken.rest;
          events.push(...taken.events);
          wake();
        }
      } catch {
        // aborted or cut
      } finally {
        ended = true;
        wake();
      }
    })();
  } catch {
    ended = true;
  }
  return stream;
}

/** p-th percentile (0..100) of `xs`, nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/** Where the suites leave their results for `npm run reliability:report`. */
export const RELIABILITY_DIR = path.resolve('.tsbuild/reliability');

/** Writes `<suite>.json` for the report generator. */
export function writeReliabilityResult(suite: string, data: Record<string, unknown>): string {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  const file = path.join(RELIABILITY_DIR, `${suite}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ suite, ...data, writtenAt: new Date().toISOString() }, null, 2)}\n`,
  );
  return file;
}
