import { sql } from 'kysely';
import type { Insertable, Kysely, RawBuilder, Selectable, Transaction } from 'kysely';
import type { Entity } from '../../shared/access/policy.js';
import type { LocationDoc } from '../../shared/domain/floor.js';
import { fieldAccess, governedFields, MASKED, project } from '../../shared/access/policy.js';
import { balanceId, ItemDoc, MovementDoc, movementDelta } from '../../shared/domain/schemas.js';
import type {
  PullResponse,
  PushRequest,
  PushResponse,
  Rejection,
  StaleCollection,
  StaleResponse,
  SyncCollection,
} from '../../shared/sync/protocol.js';
import {
  MOVEMENT_HORIZON_DAYS,
  OPEN_ORDER_STATUSES,
  OPEN_RECEIPT_STATUSES,
} from '../../shared/sync/protocol.js';
import type { TenantSettings } from '../../shared/access/policy.js';
import type { ActivityEvent } from '../../shared/alerts/rules.js';
import type { Alert } from '../../shared/api/alerts.js';
import type { StoredBurstState, WebhookConfig } from '../alerts/service.js';
import {
  burstStatesSql,
  finishFoldedActivity,
  foldedActivitySql,
  planFoldedActivity,
} from '../alerts/service.js';
import type { NewAuditEntry } from '../audit/log.js';
import { appendAudits } from '../audit/log.js';
import type { AuditBindingDeps } from './audit-binding.js';
import { storedIsOwnEdit } from './own-edit.js';
import { AuditBinder, isRefusal, reversalProblem } from './audit-binding.js';
import { CHANGES_CHANNEL } from '../db/connect.js';
import type { TenantScope } from '../db/scope.js';
import type { BalancesTable, DB, ItemsTable, MovementsTable } from '../db/types.js';
import {
  judgeFloorDoc,
  loadFloorDoc,
  locationRowToDoc,
  mustNotGoNegative,
  normalizeItemForCompare,
  itemFloorColumns,
  itemFloorFields,
  orderRowToDoc,
  receiptRowToDoc,
  type FloorEntity,
} from './floor.js';
import {
  balanceRowToDoc,
  deepEqual,
  insertJsonRows,
  itemRowToDoc,
  movementContent,
  movementRowToDoc,
  sameDoc,
  stripInternal,
  toNum,
} from './mapping.js';

type Doc = Record<string, unknown>;

/** Row → wire document, per synced table. */
const ROW_TO_DOC = {
  items: itemRowToDoc,
  movements: movementRowToDoc,
  balances: balanceRowToDoc,
  receipts: receiptRowToDoc,
  orders: orderRowToDoc,
} as const;

/**
 * Locations are site-wide reference data: every member of any tenant pulls all of them, by the
 * site-wide location sequence (not a tenant's), unprojected (they carry no governed field).
 */
async function pullLocations(
  tx: Kysely<DB>,
  checkpoint: number | undefined,
  limit: number,
): Promise<PullResponse> {
  const after = checkpoint ?? 0;
  const rows = await tx
    .selectFrom('locations')
    .selectAll()
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  const documents: (LocationDoc & { seq: number })[] = rows.map(locationRowToDoc);
  const last = documents[documents.length - 1];
  const res: PullResponse = {
    documents,
    checkpoint: last ? { seq: last.seq } : checkpoint === undefined ? null : { seq: checkpoint },
  };
  if (checkpoint === undefined) {
    const row = await tx
      .selectFrom('locations')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    res.total = Number(row.n);
  }
  return res;
}

/**
 * The movement horizon of a client partition (issue #5, large tenants). A PC pulls the movements
 * the server received in the last `MOVEMENT_HORIZON_DAYS` days (in `shared/sync/protocol.ts`: the
 * client prunes by the same rule), and every movement of an order or
 * inbound notice that is still being worked on (whatever its age: the outbound and receiving
 * screens derive picked and received quantities from them), on the first sync and on every later
 * pull. Older movements stay on the server: stock on the PC is the server's balances plus this
 * PC's own unsynced movements, and the ledger's history comes from the server's reports. The few
 * days keep the current floor work visible and cover a movement that reaches the server before
 * the order it belongs to.
 */
export { MOVEMENT_HORIZON_DAYS };
const OPEN_ORDER = [...OPEN_ORDER_STATUSES];
const OPEN_RECEIPT = [...OPEN_RECEIPT_STATUSES];

/** The tenant's highest sequence in `table` above `after`; null when nothing is newer. */
async function topSeq(
  tx: Kysely<DB>,
  table: 'movements' | 'balances',
  tenantId: string,
  after: number,
): Promise<number | null> {
  const r = await tx
    .selectFrom(table)
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', after)
    .executeTakeFirst();
  return r?.seq === null || r?.seq === undefined ? null : Number(r.seq);
}

/**
 * One page of movements within the horizon. The checkpoint must still move past the rows left
 * out: the page is read below the tenant's highest movement sequence at the start (every lower
 * sequence has committed then: sequences are assigned under the tenant lock held to commit), and a
 * page that is not full answers that sequence as its checkpoint, so a client never asks for the
 * same skipped rows again and never skips one it should get.
 */
async function pullMovements(
  tx: Kysely<DB>,
  scope: TenantScope,
  checkpoint: number | undefined,
  limit: number,
  now: Date,
): Promise<PullResponse> {
  const t = scope.tenantId;
  const after = checkpoint ?? 0;
  const cutoff = new Date(now.getTime() - MOVEMENT_HORIZON_DAYS * 86_400_000);
  const top = await topSeq(tx, 'movements', t, after);
  const inHorizon = tx
    .selectFrom('movements')
    .where('tenant_id', '=', t)
    .where((eb) =>
      eb.or([
        eb('received_at', '>=', cutoff),
        eb(
          'ref_id',
          'in',
          eb
            .selectFrom('orders')
            .select('id')
            .where('tenant_id', '=', t)
            .where('status', 'in', OPEN_ORDER)
            .union(
              eb
                .selectFrom('receipts')
                .select('id')
                .where('tenant_id', '=', t)
                .where('status', 'in', OPEN_RECEIPT),
            ),
        ),
      ]),
    );
  const rows =
    top === null
      ? []
      : await inHorizon
          .selectAll()
          .where('seq', '>', after)
          .where('seq', '<=', top)
          .orderBy('seq')
          .limit(limit)
          .execute();
  const overrides = scope.policy.overrides;
  const documents = rows.map((r) => project(scope.role, 'movements', movementRowToDoc(r), overrides));
  const last = rows[rows.length - 1];
  const reached = rows.length === limit && last ? Number(last.seq) : top;
  const res: PullResponse = {
    documents,
    checkpoint: reached !== null ? { seq: reached } : checkpoint === undefined ? null : { seq: checkpoint },
  };
  if (checkpoint === undefined) {
    const row = await inHorizon
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    res.total = Number(row.n);
  }
  return res;
}

/**
 * One page of balances. Zero balances are most of a large tenant's balances (stock that moved on:
 * receiving and staging bins, emptied batches), and a PC that does not hold one reads it as zero
 * anyway. So the first pull fixes `base`, the tenant's highest balance sequence at that moment,
 * and this client is never sent a zero balance at or below it: such a balance was zero, unchanged,
 * during every page this client read, so it never received it. A balance that changes later gets a
 * higher sequence and is sent whatever its quantity — a balance this PC holds that drops to zero
 * reaches it. The checkpoint moves past the rows left out as for movements (`pullMovements`).
 * Without `base` (a client that began before this rule) nothing is left out.
 *
 * A first pull (no checkpoint) that brings a `base` comes from a PC that already holds balances
 * pulled under that base and lost its checkpoint: RxDB writes no checkpoint once the replication
 * is cancelled, so a tenant switch or a closed page between a page's documents and its checkpoint
 * restarts the pull from nothing. Its base stays: a balance it holds that dropped to zero since then
 * has a higher sequence and is sent (a new base would leave it out, and the PC would keep the old
 * quantity for ever — soak seed 97060704).
 */
async function pullBalances(
  tx: Kysely<DB>,
  scope: TenantScope,
  checkpoint: number | undefined,
  limit: number,
  base: number | undefined,
): Promise<PullResponse> {
  const t = scope.tenantId;
  const after = checkpoint ?? 0;
  const top = await topSeq(tx, 'balances', t, after);
  const floor = checkpoint === undefined ? (base ?? top ?? 0) : base;
  const held = tx
    .selectFrom('balances')
    .where('tenant_id', '=', t)
    .$if(floor !== undefined, (q) =>
      q.where((eb) => eb.or([eb('quantity', '<>', 0), eb('seq', '>', floor ?? 0)])),
    );
  const rows =
    top === null
      ? []
      : await held
          .selectAll()
          .where('seq', '>', after)
          .where('seq', '<=', top)
          .orderBy('seq')
          .limit(limit)
          .execute();
  const overrides = scope.policy.overrides;
  const documents = rows.map((r) => project(scope.role, 'balances', balanceRowToDoc(r), overrides));
  const last = rows[rows.length - 1];
  const reached = rows.length === limit && last ? Number(last.seq) : top;
  const withBase = (seq: number) => (floor === undefined ? { seq } : { seq, base: floor });
  const res: PullResponse = {
    documents,
    checkpoint: reached !== null ? withBase(reached) : checkpoint === undefined ? null : withBase(checkpoint),
  };
  if (checkpoint === undefined) {
    const row = await held
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    res.total = Number(row.n);
  }
  return res;
}

/**
 * Rows of a tenant table as pull delivers them to the caller: the wire document of each row
 * (deleted rows as tombstones, `_deleted: true`), projected for the caller's role (I2).
 */
function asPulled(
  scope: TenantScope,
  collection: 'items' | 'receipts' | 'orders',
  rows: readonly unknown[],
): Doc[] {
  // Each row comes from the table named `collection`, so it fits that table's mapper.
  const docs: Doc[] = rows.map((r) => ROW_TO_DOC[collection](r as never));
  const overrides = scope.policy.overrides;
  return docs.map((d) => project(scope.role, collection, d, overrides));
}

/**
 * Of the versions a PC holds (`[id, seq]`), the documents this tenant holds newer, exactly as pull
 * would deliver them to the caller. A safety net for a PC whose copy went stale while its pull
 * checkpoint moved on (issue #7): one indexed read, nothing written. Ids of other tenants and
 * unknown ids are left out without a word (the explicit tenant filter as well as RLS, I1).
 */
export async function stale(
  tx: Kysely<DB>,
  scope: TenantScope,
  collection: StaleCollection,
  versions: readonly (readonly [string, number])[],
): Promise<StaleResponse> {
  if (versions.length === 0) return { documents: [] };
  // An id sent twice counts with its lowest sequence (the answer is then the same for both).
  const held = new Map<string, number>();
  for (const [given, seq] of versions) {
    const id = given.toLowerCase(); // as the database writes a uuid
    held.set(id, Math.min(seq, held.get(id) ?? seq));
  }
  const rows = await tx
    .selectFrom(collection)
    .selectAll()
    .where('tenant_id', '=', scope.tenantId)
    .where('id', '=', sql<string>`ANY(${[...held.keys()]}::uuid[])`)
    .execute();
  const newer = rows.filter((r) => toNum(r.seq) > (held.get(r.id) ?? Infinity));
  return { documents: asPulled(scope, collection, newer) };
}

/** Reads one page of a collection above the checkpoint, projected for the caller's role. */
export async function pull(
  tx: Kysely<DB>,
  scope: TenantScope,
  collection: SyncCollection,
  checkpoint: number | undefined,
  limit: number,
  now: Date = new Date(),
  base?: number,
): Promise<PullResponse> {
  if (collection === 'locations') return pullLocations(tx, checkpoint, limit);
  if (collection === 'movements') return pullMovements(tx, scope, checkpoint, limit, now);
  if (collection === 'balances') return pullBalances(tx, scope, checkpoint, limit, base);
  const t = scope.tenantId;
  const after = checkpoint ?? 0;
  // The explicit tenant filter as well as RLS (defence in depth, I1).
  const rows = await tx
    .selectFrom(collection)
    .selectAll()
    .where('tenant_id', '=', t)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  const documents = asPulled(scope, collection, rows);
  const last = documents[documents.length - 1];
  const res: PullResponse = {
    documents,
    checkpoint: last ? { seq: Number(last.seq) } : checkpoint === undefined ? null : { seq: checkpoint },
  };
  if (checkpoint === undefined) {
    const row = await tx
      .selectFrom(collection)
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('tenant_id', '=', t)
      .executeTakeFirstOrThrow();
    res.total = Number(row.n);
  }
  return res;
}

async function loadItem(tx: Kysely<DB>, tenantId: string, id: string): Promise<ItemDoc | undefined> {
  const r = await tx
    .selectFrom('items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? itemRowToDoc(r) : undefined;
}

async function loadMovement(tx: Kysely<DB>, tenantId: string, id: string): Promise<MovementDoc | undefined> {
  const r = await tx
    .selectFrom('movements')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? movementRowToDoc(r) : undefined;
}

async function loadBalance(tx: Kysely<DB>, tenantId: string, id: string): Promise<Doc | undefined> {
  const r = await tx
    .selectFrom('balances')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? balanceRowToDoc(r) : undefined;
}

/** What one push reads after taking the counter lock, besides the stored rows of its ids. */
type PrefetchKeys = {
  balances: string[];
  items: string[];
  audit: string[];
  locations?: string[];
  /** Also the pushing user's stored burst states, locked (`burstStatesSql`): the folded activity. */
  states?: { userId: string };
};

/**
 * Performance: everything a push reads up front, in one statement (one round trip instead of four)
 * after the counter lock — the stored rows of the pushed ids (`table`), the balances its movements
 * touch, which named items exist and which of its audit entry ids the chain already holds. Same
 * rows as one query each: explicit tenant filters, RLS on every table. `items` and `audit` must be
 * UUIDs (the columns are uuid).
 */
async function prefetch<K extends 'movements' | 'items'>(
  tx: Kysely<DB>,
  tenantId: string,
  table: K,
  ids: readonly string[],
  keys: PrefetchKeys,
): Promise<{
  rows: Selectable<DB[K]>[];
  balances: { id: string; quantity: string | number; expires_at: string | null }[];
  items: string[];
  audit: Set<string>;
  /**
   * The named locations that exist, by id: whether each is active (not deactivated). Read under a
   * share lock held to the end of the push: a deactivation (which locks its row for update, then
   * checks the bin holds no stock) waits for this push and sees its stock, or this push waits for
   * the deactivation and sees the bin deactivated — a movement never lands in a bin deactivated
   * while it was being pushed.
   */
  locations: Map<string, boolean>;
  /** The user's stored burst states, when `keys.states` asked for them. */
  states?: StoredBurstState[];
}> {
  type Row = Selectable<DB[K]> & {
    pf_balances: unknown;
    pf_items: string | null;
    pf_audit: string | null;
    pf_locations: unknown;
    pf_states: unknown;
  };
  const { rows } = await sql<Row>`SELECT pf.*, t.* FROM (SELECT
      (SELECT coalesce(json_agg(json_build_object('id', id, 'quantity', quantity::text, 'expires_at', expires_at)), '[]'::json)
         FROM balances WHERE tenant_id = ${tenantId} AND id = ANY(${[...keys.balances]}::text[])) AS pf_balances,
      (SELECT string_agg(id::text, ',') FROM items WHERE tenant_id = ${tenantId} AND id = ANY(${[...keys.items]}::uuid[])) AS pf_items,
      (SELECT string_agg(id::text, ',') FROM audit_log WHERE tenant_id = ${tenantId} AND id = ANY(${[...keys.audit]}::uuid[])) AS pf_audit,
      (SELECT coalesce(json_agg(json_build_array(l.id, NOT l.deleted)), '[]'::json)
         FROM (SELECT id, deleted FROM locations WHERE id = ANY(${[...(keys.locations ?? [])]}::text[])
               ORDER BY id FOR SHARE) l) AS pf_locations,
      ${keys.states ? burstStatesSql(tenantId, keys.states.userId) : sql`null`} AS pf_states
    ) pf LEFT JOIN ${sql.table(table)} t ON t.tenant_id = ${tenantId} AND t.id = ANY(${[...ids]}::uuid[])`.execute(
    tx,
  );
  const first = rows[0];
  const json = first?.pf_balances;
  const balances = (typeof json === 'string' ? JSON.parse(json) : (json ?? [])) as {
    id: string;
    quantity: string;
    expires_at: string | null;
  }[];
  const list = (v: string | null | undefined): string[] => (v ? v.split(',') : []);
  const locJson = first?.pf_locations;
  const locations = (typeof locJson === 'string' ? JSON.parse(locJson) : (locJson ?? [])) as [
    string,
    boolean,
  ][];
  const statesJson = first?.pf_states;
  return {
    // No stored row of the ids: the LEFT JOIN gives one row of nulls.
    rows: rows.filter((r) => (r as unknown as { id: string | null }).id !== null),
    balances,
    items: list(first?.pf_items),
    audit: new Set(list(first?.pf_audit).map((id) => id.toLowerCase())),
    locations: new Map(locations),
    ...(keys.states
      ? {
          states: (typeof statesJson === 'string'
            ? JSON.parse(statesJson)
            : (statesJson ?? [])) as StoredBurstState[],
        }
      : {}),
  };
}

/**
 * A pushed movement's delta added to its stored balance (the upsert's update part). A batch keeps
 * its expiry: a movement without one never clears it.
 */
const BALANCE_DELTA = sql`ON CONFLICT (tenant_id, id) DO UPDATE SET
  quantity = balances.quantity + excluded.quantity,
  expires_at = coalesce(excluded.expires_at, balances.expires_at),
  updated_at = excluded.updated_at,
  seq = excluded.seq`;

/** The columns a push writes of a movement and of a balance delta (every key of their rows). */
const MOVEMENT_COLUMNS = [
  'tenant_id',
  'id',
  'item_id',
  'type',
  'quantity',
  'from_location_id',
  'to_location_id',
  'batch',
  'note',
  'created_at',
  'created_by',
  'device_id',
  'reversal_of',
  'expires_at',
  'ref_id',
  'received_at',
  'seq',
] as const satisfies readonly (keyof MovementsTable)[];
const BALANCE_COLUMNS = [
  'tenant_id',
  'id',
  'item_id',
  'location_id',
  'batch',
  'quantity',
  'expires_at',
  'updated_at',
  'seq',
] as const satisfies readonly (keyof BalancesTable)[];

/** The columns a push writes of an item creation (every key of `pendingItems` rows). */
const ITEM_COLUMNS = [
  'tenant_id',
  'id',
  'sku',
  'name',
  'barcode',
  'uom',
  'purchase_price',
  'barcodes',
  'length_cm',
  'width_cm',
  'height_cm',
  'weight_kg',
  'batch_tracked',
  'expiry_tracked',
  'min_stock',
  'updated_at',
  'seq',
  'deleted',
] as const satisfies readonly (keyof ItemsTable)[];

/**
 * An item row for `insertJsonRows`: a jsonb column's value is the JSON value itself, and
 * `itemFloorColumns` hands `barcodes` over as its text (what the query builder binds).
 */
const itemJsonRow = (r: Insertable<ItemsTable>): object => ({
  ...r,
  barcodes: typeof r.barcodes === 'string' ? (JSON.parse(r.barcodes) as unknown) : (r.barcodes ?? null),
});

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Fields that the server owns: a client's value for them is never compared or applied. */
const SERVER_FIELDS = new Set(['seq', 'updatedAt', 'id', 'tenantId']);

/** May `role` write `field` of `entity` under the tenant's overrides? (The shared policy decides.) */
const writable = (scope: TenantScope, entity: Entity, field: string): boolean =>
  fieldAccess(scope.role, entity, field, scope.policy.overrides) === 'rw';

/** May `role` write anything of `entity` at all? */
const writesEntity = (scope: TenantScope, entity: Entity): boolean =>
  ['*', ...governedFields(entity)].some((f) => writable(scope, entity, f));

/**
 * Fields of an incoming document that the writer cannot see (hidden, or masked with anything but
 * the mask). Any such key is a forbidden write, whatever the stored value: comparing it with the
 * stored row would let a client probe a hidden value through accept/reject answers. A masked field
 * that still carries the mask means "unchanged" and is dropped.
 */
function invisibleWrites(scope: TenantScope, entity: Entity, raw: Doc): { cleaned: Doc; bad: string | null } {
  const cleaned: Doc = {};
  let bad: string | null = null;
  for (const [k, v] of Object.entries(raw)) {
    if (SERVER_FIELDS.has(k) || k === '_deleted') {
      cleaned[k] = v;
      continue;
    }
    const a = fieldAccess(scope.role, entity, k, scope.policy.overrides);
    if (a === 'masked' && (v === MASKED || v === null)) continue;
    if (a === 'masked' || a === '-') {
      bad ??= k;
      continue;
    }
    cleaned[k] = v;
  }
  return { cleaned, bad };
}

/**
 * Why a movement's bins refuse it, or null: an end naming no location, or a destination that is
 * deactivated. `known` holds the named locations that exist (id → active).
 */
export function locationProblem(
  m: Pick<MovementDoc, 'fromLocationId' | 'toLocationId'>,
  known: ReadonlyMap<string, boolean>,
): string | null {
  for (const loc of [m.fromLocationId, m.toLocationId])
    if (loc !== null && !known.has(loc)) return `there is no bin ${loc}`;
  if (m.toLocationId !== null && known.get(m.toLocationId) === false)
    return `bin ${m.toLocationId} is deactivated`;
  return null;
}

export type PushOutcome = {
  response: PushResponse;
  seq: number;
  changed: SyncCollection[];
  /** What the push did, for the anomaly rules: accepted changes (device time) and refusals. */
  activity: ActivityEvent[];
  /**
   * With `PushActivity`: the alerts raised for the first time when the push recorded its activity
   * itself (in its last statement); null when it did not, and the caller records `activity` (plus
   * its own events) with `recordActivity` as before.
   */
  alerts: Alert[] | null;
};

/**
 * The anomaly rules' inputs a push may record itself (issue #8, push throughput): the tenant's
 * settings, the caller's events that go with this push's (first access through a grant) and the
 * webhook. The stored burst states are read with the prefetch and the events, states and alerts
 * written in the audit append's statement — two or three round trips fewer than `recordActivity`
 * after the push, the same rows (`planFoldedActivity`).
 */
export type PushActivity = {
  settings: TenantSettings;
  events: ActivityEvent[];
  webhook: WebhookConfig | null;
};

/**
 * Applies one push in the caller's scope transaction. Rows are judged one by one; a refused row
 * becomes a rejection plus a conflict carrying the server state, never an HTTP error.
 */
export async function push(
  tx: Transaction<DB>,
  scope: TenantScope,
  collection: SyncCollection,
  body: PushRequest,
  now: Date,
  _deviceId: string | null = null,
  auditDeps?: AuditBindingDeps,
  recordActivityToo?: PushActivity,
): Promise<PushOutcome> {
  const { tenantId, role, userId } = scope;
  const overrides = scope.policy.overrides;
  const conflicts: Doc[] = [];
  const rejections: Rejection[] = [];
  // Changes accepted (movements: now or earlier), with their sequence: the client counts movements
  // correctly until it pulls them back (a balance may arrive first), and knows which version of a
  // document its push made (renderer/data/push-watch.ts).
  const accepted: { id: string; seq: number }[] = [];
  const view = (d: Doc): Doc => (collection === 'locations' ? d : project(role, collection, d, overrides));
  // Performance: the policy's answers for this push (role and overrides are fixed), computed once
  // instead of per field of every change. Same answers as `writable` / `writesEntity`.
  const canWriteField = new Map<string, boolean>();
  const mayWrite = (entity: Entity, field: string): boolean => {
    const key = `${entity}.${field}`;
    let ok = canWriteField.get(key);
    if (ok === undefined) {
      ok = writable(scope, entity, field);
      canWriteField.set(key, ok);
    }
    return ok;
  };
  const writesEntityMemo = new Map<Entity, boolean>();
  const mayWriteEntity = (entity: Entity): boolean => {
    let ok = writesEntityMemo.get(entity);
    if (ok === undefined) {
      ok = writesEntity(scope, entity);
      writesEntityMemo.set(entity, ok);
    }
    return ok;
  };

  // Lock the tenant's counter first: pushes in one tenant serialize here, and the lock is held to
  // commit, so a reader can never see seq N+1 committed before a still-running N. The same row
  // holds the audit chain head, read here under the lock and handed to appendAudits at the end.
  const lockCounter = () =>
    tx
      .selectFrom('tenant_seq')
      .select(['last_seq', 'audit_seq', 'audit_head'])
      .where('tenant_id', '=', tenantId)
      .forUpdate();
  // Performance: the row exists after the tenant's first push, so one round trip locks it; the
  // insert runs only when it is missing. A scope opened with `lockCounter` already holds the lock
  // (taken with the policy read) and hands the row over.
  let locked = scope.counter ?? (scope.counter === null ? undefined : await lockCounter().executeTakeFirst());
  if (!locked) {
    await tx
      .insertInto('tenant_seq')
      .values({ tenant_id: tenantId, last_seq: 0 })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    locked = await lockCounter().executeTakeFirstOrThrow();
  }
  const startSeq = Number(locked.last_seq);
  let seq = startSeq;
  const changed = new Set<SyncCollection>();
  // Every accepted change is bound to exactly one chain entry (I4), appended in order at the end.
  const binder = new AuditBinder(
    tx,
    scope,
    collection === 'locations' ? 'balances' : collection,
    body.audit,
    now,
    auditDeps,
  );
  // Floor documents (receipts, orders) are judged by server/sync/floor.ts with this push's helpers.
  const floorDeps = {
    tx,
    tenantId,
    role,
    bind: (id: string, before: Doc | null, after: Doc, action: 'create' | 'update' | 'delete') =>
      binder.bind(id, before, after, action),
    invisible: (entity: FloorEntity, raw: Doc) => invisibleWrites(scope, entity, raw),
    writable: (entity: FloorEntity, field: string) => mayWrite(entity, field),
    view,
    now,
  };
  // Negative stock (movements): what each source balance holds before this push, and the running
  // total as this push's accepted movements change it (independent of when they are flushed).
  const running = new Map<string, { quantity: number; expiresAt: string | null }>();
  const stockAt = async (bid: string) => {
    let cur = running.get(bid);
    if (!cur) {
      const r = await tx
        .selectFrom('balances')
        .select(['quantity', 'expires_at'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', bid)
        .executeTakeFirst();
      cur = { quantity: r ? Number(r.quantity) : 0, expiresAt: r?.expires_at ?? null };
      running.set(bid, cur);
    }
    return cur;
  };
  const audits: NewAuditEntry[] = [];
  const activity: ActivityEvent[] = [];

  // Performance (movements): stored rows of the pushed ids come in one query, and accepted
  // movements and their balance deltas are written in bulk before the counter update below —
  // the same rows, seqs and balances as one statement per movement, in far fewer round trips.
  const prefetched = new Set<string>();
  const knownMovements = new Map<string, MovementDoc>();
  const pendingMovements: Insertable<MovementsTable>[] = [];
  /** Lower-cased ids of `pendingMovements` (a second change of one id in a push is rare). */
  const pendingMovementIds = new Set<string>();
  const pendingBalances = new Map<string, Insertable<BalancesTable> & { quantity: number }>();
  /** Lower-cased ids of the items (of this tenant) that the pushed movements name. */
  const movementItems = new Set<string>();
  /** Each pushed movement parsed once (index of the change), for the prefetch and the judging. */
  const parsedMovements: ReturnType<typeof MovementDoc.safeParse>[] = [];
  /**
   * The locations (bins) the pushed movements name that exist: id → active. Locations are site-wide
   * reference data (no RLS); one lookup per push, for the set of bins of all its movements.
   */
  let movementLocations = new Map<string, boolean>();
  /** This push's audit entry ids already in the chain, when the prefetch read them. */
  let recorded: Set<string> | undefined;
  /** The user's stored burst states, when the prefetch read them (`recordActivityToo`). */
  let storedStates: StoredBurstState[] | undefined;
  if (collection === 'movements') {
    const ids = [
      ...new Set(
        body.changes
          .map((c) => c.newDocumentState['id'])
          .filter((id): id is string => typeof id === 'string' && UUID_RE.test(id)),
      ),
    ];
    // The balances these movements touch: the base of the negative-stock check.
    const bids = new Set<string>();
    const locs = new Set<string>();
    for (const c of body.changes) {
      const p = MovementDoc.safeParse(stripInternal(c.newDocumentState));
      parsedMovements.push(p);
      if (!p.success) continue;
      for (const loc of [p.data.fromLocationId, p.data.toLocationId])
        if (loc !== null) {
          bids.add(balanceId(p.data.itemId, loc, p.data.batch));
          locs.add(loc);
        }
    }
    // The items the movements name: a movement of an item this tenant does not have (a stale
    // scan, a forged id) is refused, never booked into the ledger.
    const itemIds = [
      ...new Set(
        body.changes
          .map((c) => c.newDocumentState['itemId'])
          .filter((id): id is string => typeof id === 'string' && UUID_RE.test(id)),
      ),
    ];
    const pre = await prefetch(tx, tenantId, 'movements', ids, {
      balances: [...bids],
      items: itemIds,
      audit: binder.entryIds(),
      locations: [...locs],
      ...(recordActivityToo ? { states: { userId } } : {}),
    });
    storedStates = pre.states;
    for (const id of ids) prefetched.add(id.toLowerCase());
    for (const r of pre.rows) knownMovements.set(r.id.toLowerCase(), movementRowToDoc(r));
    for (const id of bids) running.set(id, { quantity: 0, expiresAt: null });
    for (const r of pre.balances)
      running.set(r.id, { quantity: Number(r.quantity), expiresAt: r.expires_at });
    for (const id of pre.items) movementItems.add(id.toLowerCase());
    movementLocations = pre.locations;
    recorded = pre.audit;
  }
  // Performance (items): the same for item pushes — stored rows of the pushed ids in one query,
  // creations inserted in bulk. An id written earlier in this push is flushed and read back from
  // the table, so a second change of it is judged against what the first one stored.
  const knownItems = new Map<string, ItemDoc>();
  const touchedItems = new Set<string>();
  const pendingItems: Insertable<ItemsTable>[] = [];
  if (collection === 'items') {
    const ids = [
      ...new Set(
        body.changes
          .map((c) => c.newDocumentState['id'])
          .filter((id): id is string => typeof id === 'string' && UUID_RE.test(id)),
      ),
    ];
    const pre = await prefetch(tx, tenantId, 'items', ids, {
      balances: [],
      items: [],
      audit: binder.entryIds(),
      ...(recordActivityToo ? { states: { userId } } : {}),
    });
    storedStates = pre.states;
    for (const r of pre.rows) knownItems.set(r.id.toLowerCase(), itemRowToDoc(r));
    for (const id of ids) prefetched.add(id.toLowerCase());
    recorded = pre.audit;
  }
  if (recorded) binder.setRecorded(recorded);
  const flushItems = async (): Promise<void> => {
    for (let i = 0; i < pendingItems.length; i += 1000) {
      await tx
        .insertInto('items')
        .values(pendingItems.slice(i, i + 1000))
        .execute();
    }
    pendingItems.length = 0;
  };
  /** The stored item (as `loadItem` reads it), from the prefetch unless this push wrote it. */
  const storedItem = async (id: string): Promise<ItemDoc | undefined> => {
    const key = id.toLowerCase();
    if (touchedItems.has(key)) {
      await flushItems();
      return loadItem(tx, tenantId, id);
    }
    if (prefetched.has(key)) return knownItems.get(key);
    return loadItem(tx, tenantId, id);
  };
  const flushMovements = async (): Promise<void> => {
    const movements = pendingMovements.splice(0);
    pendingMovementIds.clear();
    const balances = [...pendingBalances.values()];
    pendingBalances.clear();
    // Performance: a push writes its movements and their balance deltas in one statement (a
    // data-modifying CTE: both or neither, as in one transaction), the rows as JSON parameters.
    const insertMovements = insertJsonRows('movements', MOVEMENT_COLUMNS, movements);
    const upsertBalances = sql`${insertJsonRows('balances', BALANCE_COLUMNS, balances)} ${BALANCE_DELTA}`;
    if (movements.length > 0 && balances.length > 0)
      await sql`WITH inserted_movements AS (${insertMovements}) ${upsertBalances}`.execute(tx);
    else if (movements.length > 0) await insertMovements.execute(tx);
    else if (balances.length > 0) await upsertBalances.execute(tx);
  };

  /**
   * Picked and not yet shipped, per order (lower-cased `refId`) and item × batch, for the orders
   * whose shipments this push carries: picks minus shipments, minus reversed picks, plus reversed
   * shipments. Read once per order after the push's earlier movements are flushed, then kept up to
   * date by the picks and shipments this push accepts (a reversal drops them all). Pushes of one
   * tenant are serialised by its counter lock, so two PCs shipping one order cannot both pass.
   */
  const openPicks = new Map<string, Map<string, number>>();
  const pickKey = (itemId: string, batch: string | null) => `${itemId.toLowerCase()}|${batch ?? ''}`;
  const openPicksOf = async (ref: string): Promise<Map<string, number>> => {
    let open = openPicks.get(ref.toLowerCase());
    if (open) return open;
    await flushMovements();
    const { rows } = await sql<{ item_id: string; batch: string | null; open: string | number }>`
      SELECT item_id, batch, sum(delta) AS open FROM (
        SELECT item_id, batch, CASE WHEN type = 'pick' THEN quantity ELSE -quantity END AS delta
          FROM movements WHERE tenant_id = ${tenantId} AND ref_id = ${ref} AND type IN ('pick', 'ship')
        UNION ALL
        SELECT o.item_id, o.batch, CASE WHEN o.type = 'pick' THEN -r.quantity ELSE r.quantity END
          FROM movements o JOIN movements r ON r.tenant_id = o.tenant_id AND r.reversal_of = o.id
          WHERE o.tenant_id = ${tenantId} AND o.ref_id = ${ref} AND o.type IN ('pick', 'ship')
      ) f GROUP BY item_id, batch`.execute(tx);
    open = new Map(rows.map((r) => [pickKey(r.item_id, r.batch), Number(r.open)]));
    openPicks.set(ref.toLowerCase(), open);
    return open;
  };

  for (const [index, change] of body.changes.entries()) {
    const raw = stripInternal(change.newDocumentState);
    const id = typeof raw.id === 'string' ? raw.id : '';
    const validId = UUID_RE.test(id) || (collection === 'balances' && id.length > 0 && id.length <= 200);
    const master = async (): Promise<Doc | undefined> => {
      if (!validId) return undefined;
      if (collection === 'items') return storedItem(id);
      if (collection === 'receipts' || collection === 'orders')
        return loadFloorDoc(tx, tenantId, collection, id);
      if (collection === 'locations') return undefined;
      if (collection === 'movements') {
        await flushMovements();
        return loadMovement(tx, tenantId, id);
      }
      return loadBalance(tx, tenantId, id);
    };
    const reject = async (code: Rejection['code'], reason: string, known?: Doc): Promise<void> => {
      rejections.push({ id, code, reason });
      const m = known ?? (await master());
      // No master: tell the client to drop its local version so it returns to the server state.
      conflicts.push(view(m ?? { ...raw, _deleted: true }));
    };

    const mismatch = binder.actorMismatch(id);
    if (mismatch) {
      await reject(mismatch.code, mismatch.reason);
      continue;
    }

    if (collection === 'balances') {
      await reject('forbidden', 'balances are derived from movements and cannot be written');
      continue;
    }
    if (collection === 'locations') {
      await reject('forbidden', 'locations are site-wide reference data and cannot be written here');
      continue;
    }

    if (collection === 'receipts' || collection === 'orders') {
      const v = await judgeFloorDoc(floorDeps, collection, raw, change.assumedMasterState, seq + 1);
      if (v.kind === 'reject') {
        await reject(v.code, v.reason, v.master);
        continue;
      }
      if (v.kind === 'conflict') {
        conflicts.push(view(v.master));
        continue;
      }
      audits.push(v.bound.entry);
      activity.push(...v.bound.activity);
      seq += 1;
      accepted.push({ id, seq });
      await v.write();
      changed.add(collection);
      continue;
    }

    if (collection === 'movements') {
      const parsed = parsedMovements[index] ?? MovementDoc.safeParse(raw);
      if (!parsed.success) {
        await reject(
          'invalid',
          parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
        continue;
      }
      const m = parsed.data;
      if (m.tenantId !== tenantId) {
        await reject('wrong-tenant', 'document belongs to another tenant');
        continue;
      }
      const notWritable = Object.keys(m).find(
        (k) => !SERVER_FIELDS.has(k) && k !== '_deleted' && k !== 'createdBy' && !mayWrite('movements', k),
      );
      if (!mayWriteEntity('movements') || notWritable !== undefined) {
        await reject('forbidden', `role ${role} may not record movements`);
        continue;
      }
      const key = m.id.toLowerCase();
      let existing: MovementDoc | undefined;
      if (pendingMovementIds.has(key)) {
        // The same id twice in one push: judge the second against the stored first, as before.
        await flushMovements();
        existing = await loadMovement(tx, tenantId, m.id);
      } else if (prefetched.has(key)) existing = knownMovements.get(key);
      else existing = await loadMovement(tx, tenantId, m.id);
      if (existing) {
        if (m._deleted === true)
          await reject('immutable', 'movements cannot be deleted; record a correcting movement', existing);
        else if (!deepEqual(movementContent(existing), movementContent(m))) {
          await reject('immutable', 'a movement with this id exists with different content', existing);
        }
        // Same content: a retried push, already applied once — nothing to do.
        else accepted.push({ id: m.id, seq: existing.seq });
        continue;
      }
      if (m._deleted === true) {
        await reject('immutable', 'movements cannot be deleted');
        continue;
      }
      if (!movementItems.has(m.itemId.toLowerCase())) {
        await reject('invalid', `there is no item ${m.itemId} in this tenant`);
        continue;
      }
      // Bins: both ends must exist (a stale scan or a forged code is never booked). Nothing may move
      // INTO a deactivated bin; stock may still be taken OUT of one (deactivation is refused while a
      // bin holds stock, so this only drains what a concurrent or offline push left there).
      const binProblem = locationProblem(m, movementLocations);
      if (binProblem !== null) {
        await reject('invalid', binProblem);
        continue;
      }
      // An order ships what was picked for it, once: a second PC shipping the same order (it saw it
      // packed before the first shipment reached it) is refused, not booked twice.
      if (m.type === 'ship' && m.refId && !m.reversalOf) {
        const open = (await openPicksOf(m.refId)).get(pickKey(m.itemId, m.batch)) ?? 0;
        if (m.quantity > open) {
          await reject(
            'invalid',
            `order ${m.refId} has ${Math.max(0, open)} of this item${m.batch ? ` (batch ${m.batch})` : ''} picked and not shipped, not ${m.quantity}`,
          );
          continue;
        }
      }
      if (m.reversalOf) {
        await flushMovements();
        const problem = await reversalProblem(tx, tenantId, m);
        if (problem !== null) {
          await reject('invalid', problem);
          continue;
        }
      }
      // Ordinary work never takes stock below zero (it lands in Needs attention instead); a
      // confirmed correction — adjustment, count, rollback — may, since I5 confirms it.
      const source =
        m.fromLocationId !== null ? await stockAt(balanceId(m.itemId, m.fromLocationId, m.batch)) : null;
      if (source && mustNotGoNegative(m) && source.quantity < m.quantity) {
        await reject(
          'insufficient-stock',
          `${m.fromLocationId} holds ${source.quantity}${m.batch ? ` of batch ${m.batch}` : ''}, not ${m.quantity}`,
        );
        continue;
      }
      // A batch keeps its expiry wherever it moves: from the movement, else from where it came.
      const expiresAt = m.expiresAt ?? source?.expiresAt ?? null;
      const createdDoc: Doc = {
        ...m,
        createdAt: new Date(m.createdAt).toISOString(),
        createdBy: userId,
        reversalOf: m.reversalOf ?? null,
        expiresAt,
        refId: m.refId ?? null,
        seq: seq + 1,
        _deleted: false,
      };
      const boundMovement = await binder.bind(m.id, null, createdDoc, 'create');
      if (isRefusal(boundMovement)) {
        await reject(boundMovement.code, boundMovement.reason);
        continue;
      }
      audits.push(boundMovement.entry);
      activity.push(...boundMovement.activity);
      seq += 1;
      accepted.push({ id: m.id, seq });
      if (m.reversalOf) openPicks.clear();
      else if (m.refId && (m.type === 'pick' || m.type === 'ship')) {
        const open = openPicks.get(m.refId.toLowerCase());
        const k = pickKey(m.itemId, m.batch);
        open?.set(k, (open.get(k) ?? 0) + (m.type === 'pick' ? m.quantity : -m.quantity));
      }
      pendingMovementIds.add(key);
      pendingMovements.push({
        tenant_id: tenantId,
        id: m.id,
        item_id: m.itemId,
        type: m.type,
        quantity: m.quantity,
        from_location_id: m.fromLocationId,
        to_location_id: m.toLocationId,
        batch: m.batch,
        note: m.note,
        created_at: m.createdAt,
        // The actor is who authenticated, whatever the document claims (I4).
        created_by: userId,
        device_id: m.deviceId,
        reversal_of: m.reversalOf ?? null,
        expires_at: expiresAt,
        ref_id: m.refId ?? null,
        received_at: now,
        seq,
      });
      const locations = [
        ...new Set([m.toLocationId, m.fromLocationId].filter((x): x is string => x !== null)),
      ];
      for (const loc of locations) {
        const delta = movementDelta(m, loc);
        const bid = balanceId(m.itemId, loc, m.batch);
        const run = await stockAt(bid);
        run.quantity += delta;
        run.expiresAt = run.expiresAt ?? expiresAt;
        const b = pendingBalances.get(bid);
        if (b) {
          b.quantity += delta;
          b.seq = seq;
          b.expires_at = b.expires_at ?? expiresAt;
        } else {
          pendingBalances.set(bid, {
            tenant_id: tenantId,
            id: bid,
            item_id: m.itemId,
            location_id: loc,
            batch: m.batch,
            quantity: delta,
            expires_at: expiresAt,
            updated_at: now,
            seq,
          });
        }
      }
      changed.add('movements');
      changed.add('balances');
      continue;
    }

    // items
    const { cleaned, bad } = invisibleWrites(scope, 'items', raw);
    if (bad !== null) {
      await reject('forbidden', `role ${role} may not set ${bad}`);
      continue;
    }
    const parsed = ItemDoc.safeParse(cleaned);
    if (!parsed.success) {
      await reject('invalid', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      continue;
    }
    const doc = parsed.data;
    if (doc.tenantId !== tenantId) {
      await reject('wrong-tenant', 'document belongs to another tenant');
      continue;
    }
    const fields = Object.keys(doc).filter((k) => !SERVER_FIELDS.has(k));
    // Entity-level gate: a role that can write no item field at all (operator, auditor) stops here.
    if (!mayWriteEntity('items')) {
      await reject('forbidden', `role ${role} may not change items`);
      continue;
    }
    const stored = await storedItem(doc.id);
    if (!stored) {
      const incomingNew = doc as Record<string, unknown>;
      const denied = fields.find(
        (f) => incomingNew[f] !== undefined && incomingNew[f] !== null && !mayWrite('items', f),
      );
      if (!mayWrite('items', 'sku') || !mayWrite('items', 'name') || denied !== undefined) {
        await reject('forbidden', `role ${role} may not create items${denied ? ` (${denied})` : ''}`);
        continue;
      }
      const purchasePrice = mayWrite('items', 'purchasePrice') ? (doc.purchasePrice ?? null) : null;
      const createdItem: Doc = {
        id: doc.id,
        tenantId,
        sku: doc.sku,
        name: doc.name,
        barcode: doc.barcode,
        uom: doc.uom,
        purchasePrice,
        ...itemFloorFields(doc),
        updatedAt: now.toISOString(),
        seq: seq + 1,
        _deleted: doc._deleted === true,
      };
      const boundCreate = await binder.bind(doc.id, null, createdItem, 'create');
      if (isRefusal(boundCreate)) {
        await reject(boundCreate.code, boundCreate.reason);
        continue;
      }
      audits.push(boundCreate.entry);
      activity.push(...boundCreate.activity);
      seq += 1;
      accepted.push({ id: doc.id, seq });
      touchedItems.add(doc.id.toLowerCase());
      pendingItems.push({
        tenant_id: tenantId,
        id: doc.id,
        sku: doc.sku,
        name: doc.name,
        barcode: doc.barcode,
        uom: doc.uom,
        purchase_price: purchasePrice,
        ...itemFloorColumns(doc),
        updated_at: now,
        seq,
        deleted: doc._deleted === true,
      });
      changed.add('items');
      continue;
    }
    const masterView = view(stored);
    // Conflict detection against what this user can see of the master (I2: hidden fields never
    // take part, so their value cannot be probed through conflicts).
    if (
      (!change.assumedMasterState ||
        !sameDoc(normalizeItemForCompare(change.assumedMasterState), normalizeItemForCompare(masterView))) &&
      !(await storedIsOwnEdit(tx, tenantId, 'items', doc.id, userId, binder.entriesFor(doc.id)))
    ) {
      conflicts.push(masterView);
      continue;
    }
    const next: Record<string, unknown> = { ...stored };
    let forbidden: string | null = null;
    let dirty = false;
    const incoming = doc as Record<string, unknown>;
    for (const f of [...fields, '_deleted']) {
      const have = f === '_deleted' ? stored._deleted === true : (stored as Record<string, unknown>)[f];
      const want = f === '_deleted' ? doc._deleted === true : incoming[f];
      // An absent optional field (purchasePrice for a role that cannot see it) means "unchanged".
      if (want === undefined || deepEqual(have, want)) continue;
      if (!mayWrite('items', f)) {
        forbidden = f;
        break;
      }
      next[f] = want;
      dirty = true;
    }
    if (forbidden !== null) {
      await reject('forbidden', `role ${role} may not change ${forbidden}`, stored);
      continue;
    }
    // Nothing to change (edits already stored, or undone before the push): answer with the stored
    // version, so the PC adopts it and stops holding the change as pending.
    if (!dirty) {
      if (binder.entriesFor(doc.id).length > 0) conflicts.push(masterView);
      continue;
    }
    const n = next as ItemDoc;
    const deleting = n._deleted === true && stored._deleted !== true;
    const boundUpdate = await binder.bind(
      doc.id,
      stored,
      { ...n, updatedAt: now.toISOString(), seq: seq + 1 },
      deleting ? 'delete' : 'update',
    );
    if (isRefusal(boundUpdate)) {
      await reject(boundUpdate.code, boundUpdate.reason, stored);
      continue;
    }
    audits.push(boundUpdate.entry);
    activity.push(...boundUpdate.activity);
    seq += 1;
    accepted.push({ id: doc.id, seq });
    touchedItems.add(doc.id.toLowerCase());
    await tx
      .updateTable('items')
      .set({
        sku: n.sku,
        name: n.name,
        barcode: n.barcode,
        uom: n.uom,
        // Fields hidden from the writer were copied from the stored row above, never wiped (I3).
        purchase_price: n.purchasePrice ?? null,
        ...itemFloorColumns(n),
        deleted: n._deleted === true,
        updated_at: now,
        seq,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', doc.id)
      .execute();
    changed.add('items');
  }

  /**
   * Performance: the writes still pending (movements with their balance deltas, item creations) as
   * common table expressions of the audit append's statement — one round trip fewer, the same rows
   * and values as `flushMovements` / `flushItems`, both or neither with the entries (one
   * statement). Empties the pending lists.
   */
  const pendingWrites = (): RawBuilder<unknown> => {
    const parts: RawBuilder<unknown>[] = [];
    const movements = pendingMovements.splice(0);
    pendingMovementIds.clear();
    const balances = [...pendingBalances.values()];
    pendingBalances.clear();
    if (movements.length > 0)
      parts.push(sql`, inserted_movements AS (${insertJsonRows('movements', MOVEMENT_COLUMNS, movements)})`);
    if (balances.length > 0)
      parts.push(
        sql`, upserted_balances AS (${insertJsonRows('balances', BALANCE_COLUMNS, balances)} ${BALANCE_DELTA})`,
      );
    const items = pendingItems.splice(0);
    if (items.length > 0)
      parts.push(sql`, inserted_items AS (${insertJsonRows('items', ITEM_COLUMNS, items.map(itemJsonRow))})`);
    return parts.length === 0 ? sql`` : sql.join(parts, sql``);
  };
  // Nothing accepted: nothing pending either (only accepted changes are), and no append follows.
  if (seq === startSeq) {
    await flushMovements();
    await flushItems();
  }
  if (rejections.length > 0) activity.push({ tenantId, userId, at: now.toISOString(), kind: 'rejected' });
  // I4: every accepted change took one sequence number and is bound to exactly one chain entry.
  if (audits.length !== seq - startSeq)
    throw new Error(`push: ${seq - startSeq} changes accepted but ${audits.length} audit entries bound`);
  let alerts: Alert[] | null = null;
  if (seq > startSeq) {
    // Performance: the entries, the chain head, the counter and the notification are one statement
    // (one round trip), from the head read under this push's lock. The notification is delivered on
    // commit only, so listeners never hear about a rolled-back push. The activity rides along when
    // the stored states allow it (else the caller records it after, as before).
    const plan =
      recordActivityToo && storedStates
        ? planFoldedActivity(
            tenantId,
            recordActivityToo.settings,
            [...recordActivityToo.events, ...activity],
            now,
            storedStates,
          )
        : null;
    const folded = plan ? foldedActivitySql(plan) : null;
    let stored: unknown = [];
    const payload = JSON.stringify({ tenantId, seq, collections: [...changed] });
    await appendAudits(tx, audits, {
      head: { seq: Number(locked.audit_seq), hash: locked.audit_head },
      lastSeq: seq,
      notify: { channel: CHANGES_CHANNEL, payload },
      riders: {
        ctes: folded ? sql`${pendingWrites()}${folded.ctes}` : pendingWrites(),
        value: folded ? folded.alerts : sql`null`,
        result: (v) => (stored = v),
      },
    });
    if (folded && recordActivityToo)
      alerts = await finishFoldedActivity(tx, tenantId, stored, recordActivityToo.webhook);
  }
  return { response: { conflicts, rejections, accepted }, seq, changed: [...changed], activity, alerts };
}
