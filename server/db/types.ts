import type { ColumnType, Generated, Kysely } from 'kysely';
import type { ScopeGuard } from './guard.js';

/** Timestamps: written as Date or ISO string, read as Date (pg) or Date (PGlite). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
/** int8 / numeric come back as string from pg and as number from PGlite; normalize on read. */
type Num = ColumnType<string | number, number | string, number | string>;
type NullableNum = ColumnType<string | number | null, number | string | null, number | string | null>;
/** A nullable numeric column added later: inserts may leave it out. */
type OptionalNum = ColumnType<
  string | number | null,
  number | string | null | undefined,
  number | string | null
>;

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
  /** Floor fields (0005): extra barcodes as a JSON array, dimensions, tracking flags, low-stock threshold. */
  barcodes: ColumnType<unknown, string | null | undefined, string | null>;
  length_cm: OptionalNum;
  width_cm: OptionalNum;
  height_cm: OptionalNum;
  weight_kg: OptionalNum;
  batch_tracked: ColumnType<boolean, boolean | undefined, boolean>;
  expiry_tracked: ColumnType<boolean, boolean | undefined, boolean>;
  min_stock: OptionalNum;
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
  /** The batch's expiry (ISO date text) and the receipt/order the movement belongs to (0005). */
  expires_at: ColumnType<string | null, string | null | undefined, string | null>;
  ref_id: ColumnType<string | null, string | null | undefined, string | null>;
};
export type BalancesTable = {
  tenant_id: string;
  id: string;
  item_id: string;
  location_id: string;
  batch: string | null;
  quantity: Num;
  /** Expiry of the batch held here (ISO date text, 0005). */
  expires_at: ColumnType<string | null, string | null | undefined, string | null>;
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

/** Site-wide reference data (0005): no tenant, no RLS; site admins write them through /api/sites (0006). */
export type WarehousesTable = {
  id: string;
  name: string;
  active: ColumnType<boolean, boolean | undefined, boolean>;
};
export type LocationsTable = {
  id: string;
  warehouse_id: string;
  name: string;
  barcode: string;
  kind: string;
  seq: ColumnType<string | number, number | string | undefined, number | string>;
  deleted: ColumnType<boolean, boolean | undefined, boolean>;
};
/** Inbound notices (tenant-scoped, RLS). `lines` is the JSON array of the document. */
export type ReceiptsTable = {
  tenant_id: string;
  id: string;
  reference: string;
  supplier: string | null;
  expected_at: string | null;
  status: string;
  lines: Json;
  updated_at: Timestamp;
  seq: Num;
  deleted: ColumnType<boolean, boolean | undefined, boolean>;
};
/** Outbound orders (tenant-scoped, RLS). Customer fields are governed by the field policy. */
export type OrdersTable = {
  tenant_id: string;
  id: string;
  number: string;
  customer_name: string | null;
  customer_phone: string | null;
  customer_email: string | null;
  ship_to: NullableJson;
  status: string;
  lines: Json;
  updated_at: Timestamp;
  seq: Num;
  deleted: ColumnType<boolean, boolean | undefined, boolean>;
};

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
  warehouses: WarehousesTable;
  locations: LocationsTable;
  receipts: ReceiptsTable;
  orders: OrdersTable;
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
