import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
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

export type PostgresOptions = { url: string; appUrl?: string; poolSize?: number };

/**
 * PostgreSQL: an owner pool (migrations, seed) and an app pool as `bulkhead_app`. The app pool is
 * created lazily because the role only exists after the first migration.
 */
export function createPostgresDatabase(opts: PostgresOptions): Database {
  const ownerPool = new pg.Pool({ connectionString: opts.url, max: 3 });
  const appPool = new pg.Pool({
    connectionString: opts.appUrl ?? deriveAppUrl(opts.url),
    max: opts.poolSize ?? 10,
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  ownerPool.on('error', () => {});
  appPool.on('error', () => {});
  const owner = new Kysely<DB>({ dialect: new PostgresDialect({ pool: ownerPool }) });
  const guard = new ScopeGuard();
  const app = new Kysely<DB>({ dialect: new PostgresDialect({ pool: appPool }), plugins: [guard] });

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
