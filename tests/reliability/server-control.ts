/**
 * The sync server under test, restartable for real: `restart()` closes the Fastify server and
 * its database handle, then starts a new server process-state on the SAME port over the SAME
 * database (a PGlite data directory on disk, or one PostgreSQL database), as a crashed or
 * redeployed server would come back at shift change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Kysely } from 'kysely';
import type { DB } from '../../server/db/types.js';
import { startServer, type StartedServer } from '../../server/start.js';

export type ControlledServer = {
  url: string;
  port: number;
  backend: 'pglite' | 'postgres';
  /** Owner handle of the current server's database (bypasses RLS): for the oracle only. */
  db(): Kysely<DB>;
  restarts: number;
  restart(): Promise<void>;
  /** Stop without starting again (the clients find nobody there) and start later. */
  stop(): Promise<void>;
  start(): Promise<void>;
  readonly running: boolean;
  close(): Promise<void>;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function admin(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export async function startControlledServer(opts: {
  backend: 'pglite' | 'postgres';
  itemsPerTenant: number;
}): Promise<ControlledServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bh-faults-db-'));
  const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `bulkhead_faults_${randomBytes(5).toString('hex')}`;
  let databaseUrl: string | undefined;
  if (opts.backend === 'postgres') {
    await admin(adminUrl, `CREATE DATABASE ${dbName}`);
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  let current: StartedServer | null = null;
  const start = async () => {
    if (current) return;
    // Listening on the same port as before: a port just released can be taken again at once.
    for (let attempt = 0; ; attempt++) {
      try {
        current = await startServer({
          ...(databaseUrl ? { databaseUrl } : { dataDir }),
          port,
          host: '127.0.0.1',
          seed: { itemsPerTenant: opts.itemsPerTenant },
          logger: false,
          heartbeatMs: 5000,
        });
        return;
      } catch (e) {
        if (attempt >= 20 || !String(e).includes('EADDRINUSE')) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async () => {
    const s = current;
    current = null;
    if (s) await s.close();
  };
  await start();
  const control: ControlledServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    backend: opts.backend,
    restarts: 0,
    db: () => {
      if (!current) throw new Error('server is not running');
      return current.db.owner;
    },
    get running() {
      return current !== null;
    },
    restart: async () => {
      await stop();
      await start();
      control.restarts++;
    },
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (opts.backend === 'postgres') {
        await admin(
          adminUrl,
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}' AND pid <> pg_backend_pid()`,
        );
        await admin(adminUrl, `DROP DATABASE IF EXISTS ${dbName}`);
      }
    },
  };
  return control;
}
