import type { ColumnType, Generated, Kysely } from 'kysely';
import type { ScopeGuard } from './guard.js';

/** Timestamps: written as Date or ISO string, read as Date (pg) or Date (PGlite). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
/** int8 / numeric come back as string from pg and as number from PGlite; normalize on read. */
type Num = ColumnType<string | number, number | string, number | string>;
type NullableNum = ColumnType<string | number | null, number | string | null, number | string | null>;

export type TenantsTable = { id: string; name: string };
export type UsersTable = {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  disabled: Generated<boolean>;
};
export type MembershipsTable = {
  user_id: string;
  tenant_id: string;
  role: string;
  valid_from: NullableTimestamp;
  valid_until: NullableTimestamp;
  policy_version: Generated<number>;
  grant_id: ColumnType<string | null, string | null | undefined, string | null>;
  first_access_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
};
export type SessionsTable = {
  id: string;
  user_id: string;
  device_id: string;
  refresh_hash: string;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  created_at: Timestamp;
};
/** Refresh-token hashes that were rotated out; presenting one again means the token leaked. */
export type SessionRefreshHistoryTable = { refresh_hash: string; session_id: string };
export type ServerKeysTable = { id: string; value: string; created_at: Timestamp };
export type TenantSeqTable = {
  tenant_id: string;
  last_seq: Num;
  audit_seq: ColumnType<string | number, number | string | undefined, number | string>;
  audit_head: ColumnType<string, string | undefined, string>;
};
export type ItemsTable = {
  tenant_id: string;
  id: string;
  sku: string;
  name: string;
  barcode: string | null;
  uom: string;
  purchase_price: NullableNum;
  updated_at: Timestamp;
  seq: Num;
  deleted: boolean;
};
export type MovementsTable = {
  tenant_id: string;
  id: string;
  item_id: string;
  type: string;
  quantity: Num;
  from_location_id: string | null;
  to_location_id: string | null;
  batch: string | null;
  note: string | null;
  created_at: Timestamp;
  created_by: string;
  device_id: string;
  received_at: Timestamp;
  seq: Num;
  reversal_of: ColumnType<string | null, string | null | undefined, string | null>;
};
export type BalancesTable = {
  tenant_id: string;
  id: string;
  item_id: string;
  location_id: string;
  batch: string | null;
  quantity: Num;
  updated_at: Timestamp;
  seq: Num;
};
type Json = ColumnType<unknown, string, string>;
type NullableJson = ColumnType<unknown, string | null, string | null>;

/** Per-tenant field policy (tenant-scoped, RLS). */
export type TenantPoliciesTable = {
  tenant_id: string;
  version: Generated<number>;
  overrides: Json;
  settings: Json;
};
/** Temporary authorization requests (identity-level: every read is filtered in code). */
export type GrantRequestsTable = {
  id: string;
  tenant_id: string;
  user_id: string;
  role: string;
  valid_from: Timestamp;
  valid_until: Timestamp;
  reason: string;
  status: string;
  requested_by: string;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  decision_reason: string | null;
  created_at: Timestamp;
};
/** Append-only, hash-chained audit trail per tenant (RLS; the app role may only INSERT and SELECT). */
export type AuditLogTable = {
  tenant_id: string;
  seq: Num;
  id: string;
  at: Timestamp;
  actor_id: string;
  device_id: string | null;
  device_time: NullableTimestamp;
  action: string;
  entity: string;
  entity_id: string;
  before: NullableJson;
  after: NullableJson;
  before_hash: string | null;
  after_hash: string | null;
  reason: string | null;
  confirmation: NullableJson;
  compensates: string | null;
  prev_hash: string;
  hash: string;
};
/** What users did, for the anomaly rules (RLS). */
export type ActivityTable = { tenant_id: string; user_id: string; at: Timestamp; kind: string };
/** Raised anomaly alerts (RLS), one per (tenant, dedup_key). */
export type AlertsTable = {
  tenant_id: string;
  id: string;
  rule: string;
  user_id: string;
  raised_at: Timestamp;
  window_start: Timestamp;
  window_end: Timestamp;
  count: number;
  detail: Json;
  source: string;
  acknowledged_by: string | null;
  acknowledged_at: NullableTimestamp;
  dedup_key: string;
};
/** Webhook outbox (server-internal; only the dispatcher reads it). */
export type AlertDeliveriesTable = {
  id: string;
  tenant_id: string;
  alert_id: string;
  /** Where it goes: each worker claims only the rows of its own webhook. */
  url: string;
  body: string;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: NullableTimestamp;
};
export type MigrationsTable = { name: string; applied_at: Timestamp };

export type DB = {
  tenants: TenantsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  session_refresh_history: SessionRefreshHistoryTable;
  server_keys: ServerKeysTable;
  tenant_seq: TenantSeqTable;
  items: ItemsTable;
  movements: MovementsTable;
  balances: BalancesTable;
  tenant_policies: TenantPoliciesTable;
  grant_requests: GrantRequestsTable;
  audit_log: AuditLogTable;
  activity: ActivityTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
  migrations: MigrationsTable;
};

export type DbKind = 'postgres' | 'pglite';

/**
 * The server's database handle. `owner` runs migrations, seed and key bootstrap; `app` serves
 * requests. On PostgreSQL `app` is a separate pool logged in as `bulkhead_app`; on PGlite there is
 * one connection, so `app === owner` and every app transaction drops to the role with SET LOCAL ROLE.
 */
export type Database = {
  kind: DbKind;
  owner: Kysely<DB>;
  app: Kysely<DB>;
  /** The scope guard on `app` (violations are recorded for tests). */
  guard: ScopeGuard;
  /** Subscribe to committed change notifications (NOTIFY bulkhead_changes). */
  onNotify(listener: (payload: string) => void): Promise<() => void>;
  close(): Promise<void>;
};
