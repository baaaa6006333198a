import { sql } from 'kysely';
import type { RawBuilder, Selectable } from 'kysely';
import type { BalanceDoc, ItemDoc, MovementDoc, MovementType } from '../../shared/domain/schemas.js';
import type { BalancesTable, ItemsTable, MovementsTable } from '../db/types.js';

/** pg returns int8/numeric as strings, PGlite int8 as number: documents always carry numbers. */
export function toNum(v: string | number): number {
  return typeof v === 'number' ? v : Number(v);
}

export function toNullableNum(v: string | number | null): number | null {
  return v === null ? null : toNum(v);
}

/** Both drivers return Date for timestamptz; tolerate strings so a driver change cannot leak formats. */
export function toIso(v: Date | string): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

/**
 * `INSERT INTO table (columns) SELECT columns FROM json_populate_recordset(null::table, $1)`: the
 * rows travel as one JSON parameter instead of one bind parameter per value. Performance: a push
 * of 100 movements bound ~2,600 values through the query builder, the scope guard and the driver;
 * the database converts the JSON with the columns' own types. A row's value for a jsonb column is
 * the JSON value itself (not its text); a Date becomes its ISO instant; an absent key is NULL, so
 * `columns` must name only the keys the rows carry.
 */
export function insertJsonRows(
  table: string,
  columns: readonly string[],
  rows: readonly object[],
): RawBuilder<unknown> {
  return insertJsonText(table, columns, JSON.stringify(rows));
}

/** `insertJsonRows` with the rows already serialised: `json` is a JSON array of row objects. */
export function insertJsonText(table: string, columns: readonly string[], json: string): RawBuilder<unknown> {
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  return sql`INSERT INTO ${sql.table(table)} (${cols}) SELECT ${cols} FROM json_populate_recordset(null::${sql.table(table)}, ${json}::json)`;
}

/** Columns added by migration 0005 (floor): a row read before it, or built by hand, may lack them. */
type Later<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type ItemFloorCol =
  | 'barcodes'
  | 'length_cm'
  | 'width_cm'
  | 'height_cm'
  | 'weight_kg'
  | 'batch_tracked'
  | 'expiry_tracked'
  | 'min_stock';
export type ItemRow = Later<Selectable<ItemsTable>, ItemFloorCol>;
export type MovementRow = Later<Selectable<MovementsTable>, 'expires_at' | 'ref_id'>;
export type BalanceRow = Later<Selectable<BalancesTable>, 'expires_at'>;

export function itemRowToDoc(r: ItemRow): ItemDoc {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    sku: r.sku,
    name: r.name,
    barcode: r.barcode,
    uom: r.uom,
    purchasePrice: toNullableNum(r.purchase_price),
    ...itemRowFloorFields(r),
    updatedAt: toIso(r.updated_at),
    seq: toNum(r.seq),
    _deleted: r.deleted,
  };
}

export function movementRowToDoc(r: MovementRow): MovementDoc {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    itemId: r.item_id,
    type: r.type as MovementType,
    quantity: toNum(r.quantity),
    fromLocationId: r.from_location_id,
    toLocationId: r.to_location_id,
    batch: r.batch,
    note: r.note,
    createdAt: toIso(r.created_at),
    createdBy: r.created_by,
    deviceId: r.device_id,
    reversalOf: r.reversal_of ?? null,
    expiresAt: r.expires_at ?? null,
    refId: r.ref_id ?? null,
    seq: toNum(r.seq),
    _deleted: false,
  };
}

export function balanceRowToDoc(r: BalanceRow): BalanceDoc {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    itemId: r.item_id,
    locationId: r.location_id,
    batch: r.batch,
    quantity: toNum(r.quantity),
    expiresAt: r.expires_at ?? null,
    updatedAt: toIso(r.updated_at),
    seq: toNum(r.seq),
    _deleted: false,
  };
}

/** Fields RxDB may attach to a document that are not part of our wire schemas. */
const RXDB_INTERNAL = new Set(['_meta', '_rev', '_attachments']);

export function stripInternal(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!RXDB_INTERNAL.has(k)) out[k] = v;
  return out;
}

/**
 * Structural equality of two JSON-like documents; an absent `_deleted` equals `false` and an
 * absent key equals `undefined`, so `{a: 1}` and `{a: 1, b: undefined}` match.
 */
export function sameDoc(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const norm = (d: Record<string, unknown>): Record<string, unknown> => {
    const s = stripInternal(d);
    return { ...s, _deleted: s._deleted === true };
  };
  return deepEqual(norm(a), norm(b));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** The client-authored content of a movement, for the idempotency check (server fields excluded). */
export function movementContent(m: MovementDoc): Record<string, unknown> {
  return {
    id: m.id,
    tenantId: m.tenantId,
    itemId: m.itemId,
    type: m.type,
    quantity: m.quantity,
    fromLocationId: m.fromLocationId,
    toLocationId: m.toLocationId,
    batch: m.batch,
    note: m.note,
    // Compare instants, not spellings: "…+00:00" and "…Z" are the same createdAt.
    createdAt: Date.parse(m.createdAt),
    deviceId: m.deviceId,
    reversalOf: m.reversalOf ?? null,
    // The receipt/order it belongs to is the client's; the expiry is not compared, because the
    // server fills it in from the batch's source balance when the client left it out.
    refId: m.refId ?? null,
  };
}

// --- items' floor fields (issue #5) ---

/** A JSON column's value: both drivers parse jsonb; tolerate text. */
export const fromJson = (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

/** The floor fields of an item document with their "nothing set" values. */
const ITEM_FLOOR_DEFAULTS: Record<string, unknown> = {
  barcodes: [],
  lengthCm: null,
  widthCm: null,
  heightCm: null,
  weightKg: null,
  batchTracked: false,
  expiryTracked: false,
  minStock: null,
};

/**
 * An item document for conflict comparison: a floor field at its "nothing set" value equals the
 * field being absent (a client that wrote before it existed), and so does a null purchase price.
 */
export function normalizeItemForCompare(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (k in ITEM_FLOOR_DEFAULTS && (v === null || deepEqual(v, ITEM_FLOOR_DEFAULTS[k]))) continue;
    if (k === 'purchasePrice' && v === null) continue;
    out[k] = v;
  }
  return out;
}

type ItemFloor = Pick<
  ItemDoc,
  | 'barcodes'
  | 'lengthCm'
  | 'widthCm'
  | 'heightCm'
  | 'weightKg'
  | 'batchTracked'
  | 'expiryTracked'
  | 'minStock'
>;

/** The floor fields of an item as stored and sent: every one present, defaults filled in. */
export function itemFloorFields(d: ItemFloor) {
  return {
    barcodes: d.barcodes ?? [],
    lengthCm: d.lengthCm ?? null,
    widthCm: d.widthCm ?? null,
    heightCm: d.heightCm ?? null,
    weightKg: d.weightKg ?? null,
    batchTracked: d.batchTracked ?? false,
    expiryTracked: d.expiryTracked ?? false,
    minStock: d.minStock ?? null,
  };
}

/** The floor columns of an item row. */
export function itemFloorColumns(d: ItemFloor) {
  const f = itemFloorFields(d);
  return {
    barcodes: f.barcodes.length > 0 ? JSON.stringify(f.barcodes) : null,
    length_cm: f.lengthCm,
    width_cm: f.widthCm,
    height_cm: f.heightCm,
    weight_kg: f.weightKg,
    batch_tracked: f.batchTracked,
    expiry_tracked: f.expiryTracked,
    min_stock: f.minStock,
  };
}

/** The floor fields of an item row as the document carries them. */
export function itemRowFloorFields(r: ItemRow) {
  const barcodes = fromJson(r.barcodes);
  return itemFloorFields({
    barcodes: Array.isArray(barcodes) ? barcodes.filter((b): b is string => typeof b === 'string') : [],
    lengthCm: toNullableNum(r.length_cm ?? null),
    widthCm: toNullableNum(r.width_cm ?? null),
    heightCm: toNullableNum(r.height_cm ?? null),
    weightKg: toNullableNum(r.weight_kg ?? null),
    batchTracked: r.batch_tracked ?? false,
    expiryTracked: r.expiry_tracked ?? false,
    minStock: toNullableNum(r.min_stock ?? null),
  });
}
