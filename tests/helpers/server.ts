import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { LoginResponse } from '../../shared/api/auth.js';
import type { ClientAuditEntry } from '../../shared/audit/entry.js';
import type { StreamEvent } from '../../shared/sync/protocol.js';
import type { WebhookConfig } from '../../server/alerts/service.js';
import type { Database, DB } from '../../server/db/types.js';
import type { RateLimits } from '../../server/auth/rate-limit.js';
import { startServer } from '../../server/start.js';

export type Backend = 'pglite' | 'postgres';

export type TestServer = {
  url: string;
  backend: Backend;
  /** Owner-level handle (superuser): bypasses RLS, for setting up and asserting. */
  db: Kysely<DB>;
  /** The app's handle: on PostgreSQL a pool logged in as bulkhead_app; on PGlite the same instance as `db`. */
  appDb: Kysely<DB>;
  database: Database;
  /** The Fastify instance (its route table drives the scope-guard test). */
  app: FastifyInstance;
  /** PostgreSQL database name (postgres backend only). */
  databaseName?: string;
  close(): Promise<void>;
};

export type TestServerOptions = {
  backend: Backend;
  seed?: { itemsPerTenant: number } | false;
  now?: () => Date;
  heartbeatMs?: number;
  /** A built renderer to serve at `/` (e2e). */
  staticDir?: string;
  /** HS256 secret for access tokens (tests that mint their own tokens). */
  jwtSecret?: Uint8Array;
  /** Update feed folder served at `/updates/`. */
  updatesDir?: string;
  /** Outbound alert webhook. */
  alertWebhook?: WebhookConfig | null;
  /** Rate limits, body limit and request timeout (see BuildServerOptions). */
  rateLimits?: Partial<RateLimits>;
  bodyLimit?: number;
  requestTimeoutMs?: number;
  trustProxy?: boolean | string;
};

export const ADMIN_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Why PostgreSQL cannot be used, or null when it answers. */
export async function postgresUnavailableReason(): Promise<string | null> {
  try {
    await adminQuery('SELECT 1');
    return null;
  } catch (e) {
    return `PostgreSQL at ${ADMIN_DATABASE_URL} is unreachable: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * Backends an integration suite runs on: PGlite always; PostgreSQL when reachable. With
 * REQUIRE_POSTGRES=1 an unreachable PostgreSQL stays in the list so its suite fails loudly.
 */
export async function integrationBackends(): Promise<Backend[]> {
  const reason = await postgresUnavailableReason();
  if (reason === null || process.env.REQUIRE_POSTGRES === '1') return ['pglite', 'postgres'];
  console.warn(`[skip] PostgreSQL suites skipped: ${reason}`);
  return ['pglite'];
}

/** Starts a server on 127.0.0.1:0 over a fresh database (in-memory PGlite or a new PG database). */
export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const seed = opts.seed === undefined ? { itemsPerTenant: 20 } : opts.seed;
  if (opts.backend === 'pglite') {
    const s = await startServer({
      dataDir: null,
      port: 0,
      seed,
      now: opts.now,
      heartbeatMs: opts.heartbeatMs,
      staticDir: opts.staticDir,
      updatesDir: opts.updatesDir,
      jwtSecret: opts.jwtSecret,
      alertWebhook: opts.alertWebhook,
      rateLimits: opts.rateLimits,
      bodyLimit: opts.bodyLimit,
      requestTimeoutMs: opts.requestTimeoutMs,
      trustProxy: opts.trustProxy,
    });
    return {
      url: s.url,
      backend: 'pglite',
      db: s.db.owner,
      appDb: s.db.app,
      database: s.db,
      app: s.app,
      close: () => s.close(),
    };
  }
  const name = `bulkhead_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const drop = async (): Promise<void> => {
    await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
    );
    await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
  };
  try {
    const s = await startServer({
      databaseUrl: withDatabase(ADMIN_DATABASE_URL, name),
      port: 0,
      seed,
      now: opts.now,
      heartbeatMs: opts.heartbeatMs,
      staticDir: opts.staticDir,
      updatesDir: opts.updatesDir,
      jwtSecret: opts.jwtSecret,
      alertWebhook: opts.alertWebhook,
      rateLimits: opts.rateLimits,
      bodyLimit: opts.bodyLimit,
      requestTimeoutMs: opts.requestTimeoutMs,
      trustProxy: opts.trustProxy,
    });
    return {
      url: s.url,
      backend: 'postgres',
      db: s.db.owner,
      appDb: s.db.app,
      database: s.db,
      app: s.app,
      databaseName: name,
      close: async () => {
        await s.close();
        await drop();
      },
    };
  } catch (e) {
    await drop().catch(() => {});
    throw e;
  }
}

/** Signs in a demo user (password `demo1234` by default) and returns the login answer. */
export async function login(
  url: string,
  username: string,
  password = 'demo1234',
  deviceId = 'test-device',
): Promise<LoginResponse> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, deviceId }),
  });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as LoginResponse;
}

export type ApiResult<T = unknown> = { status: number; body: T };

/** Small JSON client for tests: `token` becomes the Bearer header. */
export async function api<T = unknown>(
  url: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown; rawBody?: string } = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? (init.body !== undefined || init.rawBody !== undefined ? 'POST' : 'GET'),
    headers,
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text so the assertion shows it
  }
  return { status: res.status, body: body as T };
}

export type SseClient = {
  status: number;
  headers: Headers;
  /** Resolves with the next event matching `pred` (events already received count), or rejects after `timeoutMs`. */
  next(pred?: (e: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
};

/** Opens the tenant's SSE stream and parses events as they arrive. */
export async function openSse(url: string, tenant: string, token: string): Promise<SseClient> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/t/${tenant}/sync/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: ac.signal,
  });
  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  if (res.ok && res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const taken = takeSseEvents(buf + value);
          buf = taken.rest;
          events.push(...taken.events);
          if (taken.events.length > 0) for (const w of waiters) w();
        }
      } catch {
        // aborted
      } finally {
        ended = true;
        for (const w of waiters) w();
      }
    })();
  } else {
    ended = true;
  }
  return {
    status: res.status,
    headers: res.headers,
    next(pred = () => true, timeoutMs = 10_000) {
      return new Promise<StreamEvent>((resolve, reject) => {
        const check = (): boolean => {
          const idx = events.findIndex(pred);
          if (idx >= 0) {
            const [e] = events.splice(idx, 1);
            cleanup();
            resolve(e as StreamEvent);
            return true;
          }
          if (ended) {
            cleanup();
            reject(new Error('stream ended before the expected event'));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching stream event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        const waiter = (): void => {
          check();
        };
        if (!check()) waiters.add(waiter);
      });
    },
    close() {
      ac.abort();
    },
  };
}

/** The audit entry a client records with a change (I4): `actorId` is the user the test signs in as. */
export function auditEntry(
  actorId: string,
  entity: ClientAuditEntry['entity'],
  entityId: string,
  over: Partial<ClientAuditEntry> = {},
): ClientAuditEntry {
  return {
    id: randomUUID(),
    entity,
    entityId,
    action: 'update',
    actorId,
    deviceId: 'test-device',
    deviceTime: new Date().toISOString(),
    reason: null,
    confirmation: null,
    ...over,
  };
}

/** One audit entry per pushed change (creates for movements, updates for items unless told). */
export function auditFor(
  actorId: string,
  collection: string,
  changes: readonly { newDocumentState: Record<string, unknown> }[],
  over: Partial<ClientAuditEntry> = {},
): ClientAuditEntry[] {
  const entity = (collection === 'balances' ? 'movements' : collection) as ClientAuditEntry['entity'];
  const seen = new Set<string>();
  const out: ClientAuditEntry[] = [];
  for (const c of changes) {
    const raw = c.newDocumentState.id;
    const id = typeof raw === 'string' ? raw : '';
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(
      auditEntry(actorId, entity, id, { action: collection === 'movements' ? 'create' : 'update', ...over }),
    );
  }
  return out;
}

/** Splits the complete server-sent-event blocks off `buf`: their events, and the rest to keep. */
export function takeSseEvents(buf: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = [];
  let rest = buf;
  let i: number;
  while ((i = rest.indexOf('\n\n')) >= 0) {
    const data = rest
      .slice(0, i)
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    rest = rest.slice(i + 2);
    if (data) events.push(JSON.parse(data) as StreamEvent);
  }
  return { events, rest };
}
