/**
 * The migration runner on both backends: a second run is a no-op (no names, schema unchanged),
 * a migration that fails part-way leaves the schema exactly as it was (each migration is one
 * transaction, its `migrations` row included), a failed first migration on an empty database
 * leaves it empty and a later run recovers, and concurrent runs apply each migration once.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteDatabase, createPostgresDatabase } from '../../../server/db/connect.js';
import type { Migration } from '../../../server/db/migrations.js';
import { MIGRATIONS, migrate } from '../../../server/db/migrations.js';
import type { Database, DB } from '../../../server/db/types.js';
import type { Backend } from '../../helpers/server.js';
import { ADMIN_DATABASE_URL, integrationBackends } from '../../helpers/server.js';
import { writeReliabilityResult } from '../../load/client.js';

const backends = await integrationBackends();
const results: Record<string, Record<string, unknown>> = {};

async function admin(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database of `backend`, and how to get rid of it. */
async function freshDatabase(backend: Backend): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (backend === 'pglite') {
    const db = await createPgliteDatabase();
    return { db, drop: () => db.close() };
  }
  const name = `bulkhead_migr_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_DATABASE_URL);
  u.pathname = `/${name}`;
  const db = createPostgresDatabase({ url: u.toString() });
  return {
    db,
    drop: async () => {
      await db.close();
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
      await admin(`DROP DATABASE IF EXISTS ${name}`);
    },
  };
}

/**
 * Everything a migration can change in the database's own schema, as sorted text: tables and
 * columns, indexes, constraints, RLS flags and policies, functions, the app role's grants, and
 * the applied-migrations list. (Roles are cluster-wide and shared by parallel test databases.)
 */
type SnapshotPart =
  'columns' | 'indexes' | 'constraints' | 'rls' | 'policies' | 'functions' | 'grants' | 'applied';

async function schemaSnapshot(owner: Kysely<DB>): Promise<Record<SnapshotPart, string[]>> {
  const q = async (text: string): Promise<string[]> =>
    (await sql.raw<Record<string, unknown>>(text).execute(owner)).rows.map((r) => JSON.stringify(r)).sort();
  return {
    columns: await q(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'`,
    ),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`),
    constraints: await q(
      `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
    ),
    rls: await q(
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`,
    ),
    policies: await q(
      `SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname = 'public'`,
    ),
    functions: await q(
      `SELECT proname, pg_get_function_identity_arguments(oid) AS args FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
    ),
    grants: await q(
      `SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = 'bulkhead_app' AND table_schema = 'public'`,
    ),
    applied: await q(`SELECT name FROM migrations`),
  };
}

/** A migration that creates, alters, then fails on its last statement. */
const BAD: Migration = {
  name: '9999_reliability_bad',
  statements: [
    `CREATE TABLE reliability_probe (id int PRIMARY KEY)`,
    `ALTER TABLE items ADD COLUMN reliability_probe int NULL`,
    `CREATE INDEX reliability_probe_idx ON movements (note)`,
    `INSERT INTO tenants (id, name) VALUES (NULL, 'violates NOT NULL')`,
  ],
};

afterAll(() => {
  writeReliabilityResult('migrations', {
    backends: backends.join(', '),
    // Each test records its figures only after all its assertions passed.
    passed: backends.every(
      (b) =>
        results[b]?.schemaUnchangedAfterRerun === true &&
        results[b]?.failedFirstMigrationLeftEmpty === true &&
        results[b]?.concurrentRuns !== undefined,
    ),
    migrations: MIGRATIONS.length,
    ...Object.fromEntries(Object.entries(results).map(([b, r]) => [b, r])),
  });
});

describe.each(backends)('migrations (%s)', (backend) => {
  const r = (results[backend] ??= {});

  it('a second run is a no-op and a failing migration leaves the schema unchanged', async () => {
    const { db, drop } = await freshDatabase(backend);
    try {
      const first = await migrate(db.owner);
      expect(first).toEqual(MIGRATIONS.map((m) => m.name));
      const before = await schemaSnapshot(db.owner);
      expect(before.columns.length).toBeGreaterThan(0);

      const second = await migrate(db.owner);
      expect(second).toEqual([]);
      expect(await schemaSnapshot(db.owner)).toEqual(before);

      await expect(migrate(db.owner, [...MIGRATIONS, BAD])).rejects.toThrow(
        /migration 9999_reliability_bad failed at statement 4 of 4 and was rolled back/,
      );
      const after = await schemaSnapshot(db.owner);
      expect(after).toEqual(before);
      expect(after.columns.some((c) => c.includes('reliability_probe'))).toBe(false);
      // The server still runs on it: the next run (without the bad one) is a no-op again.
      expect(await migrate(db.owner)).toEqual([]);
      Object.assign(r, {
        appliedOnFirstRun: first.length,
        appliedOnSecondRun: second.length,
        schemaUnchangedAfterRerun: true,
        failedMigrationRolledBack: true,
        schemaObjectsCompared: Object.values(before).reduce((a, l) => a + l.length, 0),
      });
    } finally {
      await drop();
    }
  }, 240_000);

  it('a failed first migration leaves an empty database empty, and a later run recovers', async () => {
    const { db, drop } = await freshDatabase(backend);
    try {
      const [initial, ...rest] = MIGRATIONS;
      if (!initial) throw new Error('no migrations');
      const broken: Migration = { ...initial, statements: [...initial.statements, 'SELECT 1/0'] };
      await expect(migrate(db.owner, [broken, ...rest])).rejects.toThrow(/migration 0001_initial failed/);
      const empty = await schemaSnapshot(db.owner);
      // Only the runner's own bookkeeping table exists, with no migration recorded.
      expect(empty.applied).toEqual([]);
      expect(new Set(empty.columns.map((c) => (JSON.parse(c) as { table_name: string }).table_name))).toEqual(
        new Set(['migrations']),
      );
      expect(empty.policies).toEqual([]);
      expect(await migrate(db.owner)).toEqual(MIGRATIONS.map((m) => m.name));
      r.failedFirstMigrationLeftEmpty = true;
    } finally {
      await drop();
    }
  }, 240_000);

  it('concurrent runs apply every migration exactly once', async () => {
    const { db, drop } = await freshDatabase(backend);
    try {
      const runs = await Promise.all([migrate(db.owner), migrate(db.owner), migrate(db.owner)]);
      expect(runs.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
      const rows = await db.owner.selectFrom('migrations').select('name').execute();
      expect(rows.length).toBe(MIGRATIONS.length);
      r.concurrentRuns = runs.length;
    } finally {
      await drop();
    }
  }, 240_000);
});
