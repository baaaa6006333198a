import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { HttpError } from '../http/errors.js';
import { ScopeGuard } from './guard.js';
import type { Database, DB } from './types.js';

export const CHANGES_CHANNEL = 'bulkhead_changes';
export const APP_ROLE = 'bulkhead_app';

type Listener = (payload: string) => void;

/** Fan-out of one database LISTEN to any number of in-process subscribers. */
class ListenerSet {
  readonly listeners = new Set<Listener>();
  emit(payload: string): void {
    for (const l of this.listeners) {
      try {
        l(payload);
      } catch {
        // A broken subscriber must not starve the others.
      }
    }
  }
}

/** The app role's URL: same server and database as the owner, user replaced by bulkhead_app. */
export function deriveAppUrl(ownerUrl: string): string {
  const u = new URL(ownerUrl);
  u.username = APP_ROLE;
  u.password = '';
  return u.toString();
}

export type PostgresOptions = {
  url: string;
  appUrl?: string;
  poolSize?: number;
  /** How long a request waits for a connection before it fails with 503 (default 5 s). */
  connectTimeoutMs?: number;
};

/** Socket-level failures: the database is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** SQLSTATEs that mean "the connection, not the statement, failed" (08: connection exception). */
const SQLSTATE_UNAVAILABLE = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const MESSAGE_UNAVAILABLE = [
  'Connection terminated',
  'not queryable',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
];

/** True when `e` says the database connection was lost or could not be made (a retry may succeed). */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATE_UNAVAILABLE.has(code))) return true;
  return MESSAGE_UNAVAILABLE.some((m) => e.message.includes(m));
}

/** The answer clients get while the database is away: 503, retryable, no internals. */
export function databaseUnavailable(cause?: unknown): HttpError {
  const err = new HttpError(503, 'db_unavailable', 'the database is temporarily unavailable; retry shortly');
  if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
  return err;
}

const mapError = (e: unknown): unknown => (isConnectionError(e) ? databaseUnavailable(e) : e);

/**
 * A pg pool as kysely sees it, made to survive a database restart:
 * - a connection that cannot be made, or drops mid-query, surfaces as a 503 `db_unavailable`
 *   HttpError (clients retry) instead of a 500;
 * - a checked-out client gets an `error` listener for its whole life: pg-pool removes its own
 *   while the client is lent out, and an unhandled `error` event (connection killed between two
 *   statements of a transaction) would otherwise crash the process;
 * - a client that saw a connection error is destroyed on release, never lent out again.
 */
function resilientPool(pool: pg.Pool): PostgresPool {
  const patched = new WeakSet<pg.PoolClient>();
  const broken = new WeakSet<pg.PoolClient>();
  const patch = (client: pg.PoolClient): PostgresPoolClient => {
    if (!patched.has(client)) {
      patched.add(client);
      client.on('error', () => broken.add(client));
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]): unknown => {
        let r: unknown;
        try {
          r = query(...args);
        } catch (e) {
          if (isConnectionError(e)) broken.add(client);
          throw mapError(e);
        }
        // A cursor (streaming) is returned as is; a promise gets its rejection mapped.
        if (r instanceof Promise)
          return r.catch((e: unknown) => {
            if (isConnectionError(e)) broken.add(client);
            throw mapError(e);
          });
        return r;
      };
    }
    const release = client.release.bind(client);
    return Object.assign(client, {
      release: (destroy?: boolean) => release(destroy === true || broken.has(client) ? true : undefined),
    });
  };
  return {
    Client: pg.Client,
    options: pool.options,
    async connect() {
      try {
        return patch(await pool.connect());
      } catch (e) {
        throw mapError(e);
      }
    },
    end: () => pool.end(),
  };
}

/**
 * PostgreSQL: an owner pool (migrations, seed) and an app pool as `bulkhead_app`. The app pool is
 * created lazily because the role only exists after the first migration. Both survive a database
 * restart: requests during the outage fail with 503 and later ones get fresh connections.
 */
export function createPostgresDatabase(opts: PostgresOptions): Database {
  const connectionTimeoutMillis = opts.connectTimeoutMs ?? 5000;
  const ownerPool = new pg.Pool({
    connectionString: opts.url,
    max: 3,
    connectionTimeoutMillis,
    keepAlive: true,
  });
  const appPool = new pg.Pool({
    connectionString: opts.appUrl ?? deriveAppUrl(opts.url),
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis,
    keepAlive: true,
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  ownerPool.on('error', () => {});
  appPool.on('error', () => {});
  const owner = new Kysely<DB>({ dialect: new PostgresDialect({ pool: resilientPool(ownerPool) }) });
  const guard = new ScopeGuard();
  const app = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: resilientPool(appPool) }),
    plugins: [guard],
  });

  const set = new ListenerSet();
  let client: pg.Client | null = null;
  let starting: Promise<void> | null = null;
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;

  // One dedicated connection LISTENs for the whole process; if it drops we reconnect, because
  // without it streams silently stop receiving changes.
  const connectListener = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: opts.appUrl ?? deriveAppUrl(opts.url) });
    const scheduleReconnect = (): void => {
      if (client === c) client = null;
      if (closed || retryTimer) return;
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (!closed && set.listeners.size > 0) starting = connectListener().catch(() => scheduleReconnect());
      }, 1000);
      retryTimer.unref();
    };
    c.on('error', () => {
      c.end().catch(() => {});
      scheduleReconnect();
    });
    c.on('end', scheduleReconnect);
    c.on('notification', (msg) => {
      if (msg.channel === CHANGES_CHANNEL && msg.payload !== undefined) set.emit(msg.payload);
    });
    await c.connect();
    await c.query(`LISTEN ${CHANGES_CHANNEL}`);
    client = c;
    if (listenedBefore) await announceResync(c);
    listenedBefore = true;
  };

  // Notifications sent while the LISTEN connection was down are gone: after a reconnect every
  // tenant gets a synthetic change at its current sequence, so open streams pull what they missed.
  let listenedBefore = false;
  const announceResync = async (c: pg.Client): Promise<void> => {
    try {
      await c.query('BEGIN');
      await c.query(
        `SELECT set_config('app.tenant_ids', coalesce((SELECT string_agg(id, ',') FROM tenants), ''), true)`,
      );
      const r = await c.query<{ tenant_id: string; last_seq: string | number }>(
        'SELECT tenant_id, last_seq FROM tenant_seq',
      );
      await c.query('COMMIT');
      for (const row of r.rows)
        set.emit(
          JSON.stringify({
            tenantId: row.tenant_id,
            seq: Number(row.last_seq),
            collections: ['items', 'movements', 'balances'],
          }),
        );
    } catch {
      await c.query('ROLLBACK').catch(() => {});
    }
  };

  return {
    kind: 'postgres',
    owner,
    app,
    guard,
    async onNotify(listener) {
      set.listeners.add(listener);
      if (!client) {
        starting ??= connectListener().finally(() => {
          starting = null;
        });
        await starting;
      }
      return () => {
        set.listeners.delete(listener);
      };
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = null;
      if (c) await c.end().catch(() => {});
      await app.destroy();
      await owner.destroy();
    },
  };
}

/** Embedded PGlite: `dataDir` persists on disk; undefined keeps it in memory (tests). */
export async function createPgliteDatabase(dataDir?: string): Promise<Database & { pglite: PGlite }> {
  // PGlite creates only the last folder of the path; a fresh checkout has no ./.data yet.
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir ?? 'memory://');
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  // One connection: the app handle is the owner's with the scope guard added (same driver).
  const guard = new ScopeGuard();
  const app = db.withPlugin(guard);
  const set = new ListenerSet();
  let unlisten: Promise<() => Promise<void>> | null = null;
  return {
    kind: 'pglite',
    pglite,
    owner: db,
    app,
    guard,
    async onNotify(listener) {
      set.listeners.add(listener);
      unlisten ??= pglite.listen(CHANGES_CHANNEL, (payload) => set.emit(payload));
      await unlisten;
      return () => {
        set.listeners.delete(listener);
      };
    },
    async close() {
      if (!pglite.closed) await db.destroy();
    },
  };
}
