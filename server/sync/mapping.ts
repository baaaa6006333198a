import type { Selectable } from 'kysely';
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

export function itemRowToDoc(r: Selectable<ItemsTable>): ItemDoc {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    sku: r.sku,
    name: r.name,
    barcode: r.barcode,
    uom: r.uom,
    purchasePrice: toNullableNum(r.purchase_price),
    updatedAt: toIso(r.updated_at),
    seq: toNum(r.seq),
    _deleted: r.deleted,
  };
}

export function movementRowToDoc(r: Selectable<MovementsTable>): MovementDoc {
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
    seq: toNum(r.seq),
    _deleted: false,
  };
}

export function balanceRowToDoc(r: Selectable<BalancesTable>): BalanceDoc {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    itemId: r.item_id,
    locationId: r.location_id,
    batch: r.batch,
    quantity: toNum(r.quantity),
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
  };
}
