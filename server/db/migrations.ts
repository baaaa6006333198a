import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DB } from './types.js';

/**
 * Migrations are an ordered list of statements, one statement per entry because PGlite's
 * `query()` accepts exactly one. Never edit an applied migration; append a new one.
 */
export type Migration = { name: string; statements: string[] };

const TENANT_TABLES = ['tenant_seq', 'items', 'movements', 'balances'] as const;

function rls(table: string): string[] {
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    // FORCE so that even the table owner is filtered; only superusers/BYPASSRLS escape it.
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_scope ON ${table} USING (tenant_id = ANY(app_tenant_ids())) WITH CHECK (tenant_id = ANY(app_tenant_ids()))`,
  ];
}

export const MIGRATIONS: Migration[] = [
  {
    name: '0001_initial',
    statements: [
      // The role is cluster-wide: parallel test databases race to create it, so both
      // "already exists" (42710) and the catalog unique index (23505) count as success.
      `DO $$ BEGIN
         CREATE ROLE bulkhead_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
       EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
       END $$`,
      // STABLE and unwrapped in the policy: the planner evaluates it once per statement.
      `CREATE OR REPLACE FUNCTION app_tenant_ids() RETURNS text[] LANGUAGE sql STABLE AS $$
         SELECT coalesce(string_to_array(nullif(current_setting('app.tenant_ids', true), ''), ','), '{}'::text[])
       $$`,
      `CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL)`,
      `CREATE TABLE users (
         id text PRIMARY KEY,
         username text NOT NULL UNIQUE,
         display_name text NOT NULL,
         password_hash text NOT NULL,
         disabled boolean NOT NULL DEFAULT false)`,
      `CREATE TABLE memberships (
         user_id text NOT NULL REFERENCES users(id),
         tenant_id text NOT NULL REFERENCES tenants(id),
         role text NOT NULL CHECK (role IN ('admin','manager','operator','finance','auditor')),
         valid_from timestamptz NULL,
         valid_until timestamptz NULL,
         policy_version int NOT NULL DEFAULT 1,
         PRIMARY KEY (user_id, tenant_id))`,
      `CREATE TABLE sessions (
         id text PRIMARY KEY,
         user_id text NOT NULL REFERENCES users(id),
         device_id text NOT NULL,
         refresh_hash text NOT NULL UNIQUE,
         expires_at timestamptz NOT NULL,
         revoked_at timestamptz NULL,
         created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE session_refresh_history (
         refresh_hash text PRIMARY KEY,
         session_id text NOT NULL REFERENCES sessions(id))`,
      `CREATE TABLE server_keys (id text PRIMARY KEY, value text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE tenant_seq (tenant_id text PRIMARY KEY REFERENCES tenants(id), last_seq bigint NOT NULL DEFAULT 0)`,
      `CREATE TABLE items (
         tenant_id text NOT NULL REFERENCES tenants(id),
         id uuid NOT NULL,
         sku text NOT NULL,
         name text NOT NULL,
         barcode text NULL,
         uom text NOT NULL,
         purchase_price numeric NULL,
         updated_at timestamptz NOT NULL,
         seq bigint NOT NULL,
         deleted boolean NOT NULL DEFAULT false,
         PRIMARY KEY (tenant_id, id))`,
      `CREATE INDEX items_seq ON items (tenant_id, seq)`,
      `CREATE INDEX items_sku ON items (tenant_id, sku)`,
      `CREATE TABLE movements (
         tenant_id text NOT NULL REFERENCES tenants(id),
         id uuid NOT NULL,
         item_id uuid NOT NULL,
         type text NOT NULL,
         quantity numeric NOT NULL CHECK (quantity > 0),
         from_location_id text NULL,
         to_location_id text NULL,
         batch text NULL,
         note text NULL,
         created_at timestamptz NOT NULL,
         created_by text NOT NULL,
         device_id text NOT NULL,
         received_at timestamptz NOT NULL,
         seq bigint NOT NULL,
         PRIMARY KEY (tenant_id, id))`,
      `CREATE INDEX movements_seq ON movements (tenant_id, seq)`,
      `CREATE INDEX movements_item ON movements (tenant_id, item_id)`,
      `CREATE TABLE balances (
         tenant_id text NOT NULL REFERENCES tenants(id),
         id text NOT NULL,
         item_id uuid NOT NULL,
         location_id text NOT NULL,
         batch text NULL,
         quantity numeric NOT NULL,
         updated_at timestamptz NOT NULL,
         seq bigint NOT NULL,
         PRIMARY KEY (tenant_id, id))`,
      `CREATE INDEX balances_seq ON balances (tenant_id, seq)`,
      ...TENANT_TABLES.flatMap(rls),
      // Least privilege: no DELETE anywhere, no access to keys or migrations, movements append-only.
      `GRANT SELECT ON tenants, users, memberships TO bulkhead_app`,
      `GRANT SELECT, INSERT, UPDATE ON sessions TO bulkhead_app`,
      `GRANT SELECT, INSERT ON session_refresh_history TO bulkhead_app`,
      `GRANT SELECT, INSERT, UPDATE ON tenant_seq, items, balances TO bulkhead_app`,
      `GRANT SELECT, INSERT ON movements TO bulkhead_app`,
    ],
  },
  {
    name: '0002_policies_grants_audit',
    statements: [
      `CREATE TABLE tenant_policies (
         tenant_id text PRIMARY KEY REFERENCES tenants(id),
         version int NOT NULL DEFAULT 1 CHECK (version >= 1),
         overrides jsonb NOT NULL DEFAULT '{}',
         settings jsonb NOT NULL DEFAULT '{}')`,
      ...rls('tenant_policies'),
      `INSERT INTO tenant_policies (tenant_id) SELECT id FROM tenants ON CONFLICT DO NOTHING`,
      // Identity-level like memberships: a requester is not a member of the tenant yet.
      `CREATE TABLE grant_requests (
         id uuid PRIMARY KEY,
         tenant_id text NOT NULL REFERENCES tenants(id),
         user_id text NOT NULL REFERENCES users(id),
         role text NOT NULL CHECK (role IN ('admin','manager','operator','finance','auditor')),
         valid_from timestamptz NOT NULL,
         valid_until timestamptz NOT NULL,
         reason text NOT NULL,
         status text NOT NULL CHECK (status IN ('pending','approved','rejected','revoked')),
         requested_by text NOT NULL REFERENCES users(id),
         decided_by text NULL REFERENCES users(id),
         decided_at timestamptz NULL,
         decision_reason text NULL,
         created_at timestamptz NOT NULL,
         CHECK (valid_until > valid_from))`,
      `CREATE INDEX grant_requests_tenant ON grant_requests (tenant_id, created_at)`,
      `CREATE INDEX grant_requests_user ON grant_requests (user_id)`,
      `ALTER TABLE memberships ADD COLUMN grant_id uuid NULL REFERENCES grant_requests(id)`,
      `CREATE TABLE audit_log (
         tenant_id text NOT NULL REFERENCES tenants(id),
         id uuid NOT NULL,
         seq bigserial NOT NULL,
         at timestamptz NOT NULL,
         actor_id text NOT NULL,
         device_id text NULL,
         action text NOT NULL,
         entity text NOT NULL,
         entity_id text NOT NULL,
         before jsonb NULL,
         after jsonb NULL,
         reason text NULL,
         PRIMARY KEY (tenant_id, id))`,
      `CREATE INDEX audit_log_seq ON audit_log (tenant_id, seq)`,
      ...rls('audit_log'),
      `GRANT SELECT, INSERT, UPDATE ON tenant_policies TO bulkhead_app`,
      `GRANT SELECT, INSERT, UPDATE ON grant_requests TO bulkhead_app`,
      `GRANT INSERT, UPDATE ON memberships TO bulkhead_app`,
      // Append-only: no UPDATE or DELETE for the app role.
      `GRANT SELECT, INSERT ON audit_log TO bulkhead_app`,
      `GRANT USAGE ON SEQUENCE audit_log_seq_seq TO bulkhead_app`,
    ],
  },
  {
    // Pre-release: the unchained audit_log is replaced, not re-chained.
    name: '0003_audit_chain_alerts',
    statements: [
      `DROP TABLE audit_log`,
      `CREATE TABLE audit_log (
         tenant_id text NOT NULL REFERENCES tenants(id),
         seq bigint NOT NULL CHECK (seq >= 1),
         id uuid NOT NULL,
         at timestamptz NOT NULL,
         actor_id text NOT NULL,
         device_id text NULL,
         device_time timestamptz NULL,
         action text NOT NULL,
         entity text NOT NULL,
         entity_id text NOT NULL,
         before jsonb NULL,
         after jsonb NULL,
         before_hash text NULL,
         after_hash text NULL,
         reason text NULL,
         confirmation jsonb NULL,
         compensates text NULL,
         prev_hash text NOT NULL,
         hash text NOT NULL,
         PRIMARY KEY (tenant_id, seq),
         UNIQUE (tenant_id, id))`,
      `CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_id)`,
      `CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_id, seq)`,
      ...rls('audit_log'),
      `GRANT SELECT, INSERT ON audit_log TO bulkhead_app`,
      // The chain head lives on the tenant's counter row, locked FOR UPDATE by every writer.
      `ALTER TABLE tenant_seq ADD COLUMN audit_seq bigint NOT NULL DEFAULT 0`,
      `ALTER TABLE tenant_seq ADD COLUMN audit_head text NOT NULL DEFAULT '${'0'.repeat(64)}'`,
      `ALTER TABLE movements ADD COLUMN reversal_of uuid NULL`,
      // One reversal per movement, even under concurrent pushes.
      `CREATE UNIQUE INDEX movements_reversal ON movements (tenant_id, reversal_of) WHERE reversal_of IS NOT NULL`,
      `ALTER TABLE memberships ADD COLUMN first_access_at timestamptz NULL`,
      // What users did, for the anomaly rules (device time for changes).
      `CREATE TABLE activity (
         tenant_id text NOT NULL REFERENCES tenants(id),
         user_id text NOT NULL,
         at timestamptz NOT NULL,
         kind text NOT NULL CHECK (kind IN ('change','destructive','export','rejected','grant-first-access')))`,
      `CREATE INDEX activity_user_at ON activity (tenant_id, user_id, at)`,
      ...rls('activity'),
      `GRANT SELECT, INSERT ON activity TO bulkhead_app`,
      `CREATE TABLE alerts (
         tenant_id text NOT NULL REFERENCES tenants(id),
         id uuid NOT NULL,
         rule text NOT NULL,
         user_id text NOT NULL,
         raised_at timestamptz NOT NULL,
         window_start timestamptz NOT NULL,
         window_end timestamptz NOT NULL,
         count int NOT NULL,
         detail jsonb NOT NULL DEFAULT '{}',
         source text NOT NULL CHECK (source IN ('server','client')),
         acknowledged_by text NULL,
         acknowledged_at timestamptz NULL,
         dedup_key text NOT NULL,
         PRIMARY KEY (tenant_id, id),
         UNIQUE (tenant_id, dedup_key))`,
      `CREATE INDEX alerts_raised ON alerts (tenant_id, raised_at)`,
      ...rls('alerts'),
      `GRANT SELECT, INSERT, UPDATE ON alerts TO bulkhead_app`,
      // The webhook outbox: server-internal, read only by the dispatcher (no tenant reads it).
      `CREATE TABLE alert_deliveries (
         id uuid PRIMARY KEY,
         tenant_id text NOT NULL REFERENCES tenants(id),
         alert_id uuid NOT NULL,
         url text NOT NULL,
         body text NOT NULL,
         status text NOT NULL CHECK (status IN ('pending','delivered','failed')),
         attempts int NOT NULL DEFAULT 0,
         next_attempt_at timestamptz NOT NULL,
         last_error text NULL,
         created_at timestamptz NOT NULL,
         delivered_at timestamptz NULL)`,
      `CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at)`,
      `GRANT SELECT, INSERT, UPDATE ON alert_deliveries TO bulkhead_app`,
    ],
  },
  {
    // Performance (push path): the burst state of the counted anomaly rules per (tenant, user,
    // kind), so a push goes on from it instead of re-reading the user's recent activity.
    name: '0004_perf_activity_state',
    statements: [
      `CREATE TABLE activity_state (
         tenant_id text NOT NULL REFERENCES tenants(id),
         user_id text NOT NULL,
         kind text NOT NULL CHECK (kind IN ('change','rejected')),
         state jsonb NOT NULL,
         PRIMARY KEY (tenant_id, user_id, kind))`,
      ...rls('activity_state'),
      `GRANT SELECT, INSERT, UPDATE ON activity_state TO bulkhead_app`,
    ],
  },
  {
    // Floor workflows (issue #5): site-wide warehouses and locations (reference data, pulled by every
    // tenant, so no RLS; the app role may only read them), inbound receipts and outbound orders
    // (tenant-scoped, RLS like the other tenant tables), and the floor fields of items, movements
    // and balances. Dates (expiry, expected arrival) are ISO text: no driver turns them into a
    // local-midnight Date. JSON columns hold what the documents carry (lines, ship-to, barcodes).
    name: '0005_floor',
    statements: [
      `CREATE TABLE warehouses (id text PRIMARY KEY, name text NOT NULL)`,
      `CREATE SEQUENCE location_seq`,
      `CREATE TABLE locations (
         id text PRIMARY KEY,
         warehouse_id text NOT NULL REFERENCES warehouses(id),
         name text NOT NULL,
         barcode text NOT NULL UNIQUE,
         kind text NOT NULL CHECK (kind IN ('receiving','storage','staging','shipping')),
         seq bigint NOT NULL DEFAULT nextval('location_seq'),
         deleted boolean NOT NULL DEFAULT false)`,
      `CREATE INDEX locations_seq ON locations (seq)`,
      `GRANT SELECT ON warehouses, locations TO bulkhead_app`,
      `ALTER TABLE items
         ADD COLUMN barcodes jsonb NULL,
         ADD COLUMN length_cm numeric NULL,
         ADD COLUMN width_cm numeric NULL,
         ADD COLUMN height_cm numeric NULL,
         ADD COLUMN weight_kg numeric NULL,
         ADD COLUMN batch_tracked boolean NOT NULL DEFAULT false,
         ADD COLUMN expiry_tracked boolean NOT NULL DEFAULT false,
         ADD COLUMN min_stock numeric NULL`,
      `ALTER TABLE movements ADD COLUMN expires_at text NULL, ADD COLUMN ref_id uuid NULL`,
      `CREATE INDEX movements_ref ON movements (tenant_id, ref_id) WHERE ref_id IS NOT NULL`,
      `ALTER TABLE balances ADD COLUMN expires_at text NULL`,
      `CREATE TABLE receipts (
         tenant_id text NOT NULL REFERENCES tenants(id),
         id uuid NOT NULL,
         reference text NOT NULL,
         supplier text NULL,
         expected_at text NULL,
         status text NOT NULL CHECK (status IN ('open','receiving','closed','cancelled')),
         lines jsonb NOT NULL,
         updated_at timestamptz NOT NULL,
         seq bigint NOT NULL,
         deleted boolean NOT NULL DEFAULT false,
         PRIMARY KEY (tenant_id, id))`,
      `CREATE INDEX receipts_seq ON receipts (tenant_id, seq)`,
      `CREATE TABLE orders (
         tenant_id text NOT NULL REFERENCES tenants(id),
         id uuid NOT NULL,
         number text NOT NULL,
         customer_name text NULL,
         customer_phone text NULL,
         customer_email text NULL,
         ship_to jsonb NULL,
         status text NOT NULL CHECK (status IN ('open','picking','packed','shipped','cancelled')),
         lines jsonb NOT NULL,
         updated_at timestamptz NOT NULL,
         seq bigint NOT NULL,
         deleted boolean NOT NULL DEFAULT false,
         PRIMARY KEY (tenant_id, id))`,
      `CREATE INDEX orders_seq ON orders (tenant_id, seq)`,
      `CREATE UNIQUE INDEX orders_number ON orders (tenant_id, lower(number))`,
      ...rls('receipts'),
      ...rls('orders'),
      `GRANT SELECT, INSERT, UPDATE ON receipts, orders TO bulkhead_app`,
    ],
  },
  {
    // Sites & bins (issue #5): site admins create, edit and deactivate warehouses and locations
    // through /api/sites (never deleted: ledger rows keep naming them). Whether a location still
    // holds stock spans every tenant, which no request scope may read: a SECURITY DEFINER function
    // answers only that boolean, widening app.tenant_ids for its one query and restoring it.
    name: '0006_sites',
    statements: [
      `ALTER TABLE warehouses ADD COLUMN active boolean NOT NULL DEFAULT true`,
      `GRANT INSERT, UPDATE ON warehouses, locations TO bulkhead_app`,
      `GRANT USAGE ON SEQUENCE location_seq TO bulkhead_app`,
      `CREATE FUNCTION location_holds_stock(loc text) RETURNS boolean
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
         DECLARE
           scope text := coalesce(current_setting('app.tenant_ids', true), '');
           held boolean;
         BEGIN
           PERFORM set_config('app.tenant_ids', (SELECT coalesce(string_agg(id, ','), '') FROM tenants), true);
           SELECT EXISTS (SELECT 1 FROM balances WHERE location_id = loc AND quantity <> 0) INTO held;
           PERFORM set_config('app.tenant_ids', scope, true);
           RETURN held;
         END $$`,
      `REVOKE ALL ON FUNCTION location_holds_stock(text) FROM PUBLIC`,
      `GRANT EXECUTE ON FUNCTION location_holds_stock(text) TO bulkhead_app`,
    ],
  },
  {
    // Large tenants (issue #5, 100k items / 500k movements): the inventory report sums one item's
    // balances at a time, and the movement history reads the newest movements of a date range
    // first, without scanning and sorting the whole ledger.
    name: '0007_scale_indexes',
    statements: [
      `CREATE INDEX balances_item ON balances (tenant_id, item_id)`,
      `CREATE INDEX movements_created ON movements (tenant_id, created_at, seq)`,
    ],
  },
  {
    // Large tenants: the expiry report and the dashboard's "expiring soon" read the batches that
    // expire before a day (a text range over ISO days) without scanning every balance.
    name: '0008_scale_expiry_index',
    statements: [
      `CREATE INDEX balances_expiry ON balances (tenant_id, expires_at) WHERE expires_at IS NOT NULL`,
    ],
  },
];

/**
 * Applies pending migrations, each in its own transaction (its statements and its row in
 * `migrations` commit together or not at all, so a failing migration leaves the schema as it
 * was); running it again is a no-op and returns no names. Concurrent servers are serialized by an
 * advisory lock. A failure names the migration and statement.
 */
export async function migrate(owner: Kysely<DB>, migrations: Migration[] = MIGRATIONS): Promise<string[]> {
  await owner.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(8787001)`.execute(tx);
    await sql`CREATE TABLE IF NOT EXISTS migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(
      tx,
    );
  });
  const applied: string[] = [];
  for (const m of migrations) {
    let at = -1;
    try {
      const done = await owner.transaction().execute(async (tx) => {
        // Serializes concurrent servers migrating the same database.
        await sql`SELECT pg_advisory_xact_lock(8787001)`.execute(tx);
        const row = await tx
          .selectFrom('migrations')
          .select('name')
          .where('name', '=', m.name)
          .executeTakeFirst();
        if (row) return false;
        for (const [i, s] of m.statements.entries()) {
          at = i;
          await sql.raw(s).execute(tx);
        }
        at = -1;
        await tx.insertInto('migrations').values({ name: m.name, applied_at: new Date() }).execute();
        return true;
      });
      if (done) applied.push(m.name);
    } catch (e) {
      const where = at >= 0 ? ` at statement ${at + 1} of ${m.statements.length}` : '';
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(`migration ${m.name} failed${where} and was rolled back: ${why}`, { cause: e });
    }
  }
  return applied;
}
