import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Role } from '../../shared/access/policy.js';
import type { LocationDoc } from '../../shared/domain/floor.js';
import {
  OrderDoc,
  orderTransitionAllowed,
  ReceiptDoc,
  receiptTransitionAllowed,
} from '../../shared/domain/floor.js';
import { isFinalStatus, mergeFloorDoc } from '../../shared/domain/merge.js';
import type { MovementDoc } from '../../shared/domain/schemas.js';
import type { Rejection } from '../../shared/sync/protocol.js';
import type { DB, LocationsTable, OrdersTable, ReceiptsTable } from '../db/types.js';
import type { Bound, Refusal } from './audit-binding.js';
import { isRefusal } from './audit-binding.js';
import { deepEqual, fromJson, sameDoc, toIso, toNum } from './mapping.js';

/*
 * Floor workflows on the server (issue #5): row ↔ document mapping of receipts, orders and
 * locations. JSON columns come back parsed from both drivers; tolerate text so a driver change
 * cannot leak a string where an array belongs.
 */

const json = fromJson;

/** A location row as the wire document (with its site-wide sequence). */
export function locationRowToDoc(r: Selectable<LocationsTable>): LocationDoc & { seq: number } {
  const doc: LocationDoc & { seq: number } = {
    id: r.id,
    warehouseId: r.warehouse_id,
    name: r.name,
    barcode: r.barcode,
    kind: r.kind as LocationDoc['kind'],
    seq: toNum(r.seq),
  };
  if (r.deleted) doc._deleted = true;
  return doc;
}

/** A receipt row as the wire document. */
export function receiptRowToDoc(r: Selectable<ReceiptsTable>): ReceiptDoc {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    reference: r.reference,
    supplier: r.supplier,
    expectedAt: r.expected_at,
    status: r.status as ReceiptDoc['status'],
    lines: json(r.lines) as ReceiptDoc['lines'],
    updatedAt: toIso(r.updated_at),
    seq: toNum(r.seq),
    _deleted: r.deleted,
  };
}

/** An order row as the wire document (before projection: every customer field present). */
export function orderRowToDoc(r: Selectable<OrdersTable>): OrderDoc {
  const doc: OrderDoc = {
    id: r.id,
    tenantId: r.tenant_id,
    number: r.number,
    customerPhone: r.customer_phone,
    customerEmail: r.customer_email,
    shipTo: (json(r.ship_to) as OrderDoc['shipTo']) ?? null,
    status: r.status as OrderDoc['status'],
    lines: json(r.lines) as OrderDoc['lines'],
    updatedAt: toIso(r.updated_at),
    seq: toNum(r.seq),
    _deleted: r.deleted,
  };
  if (r.customer_name !== null) doc.customerName = r.customer_name;
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Push of receipts and orders (mutable documents: three-way merge of concurrent edits)
// ---------------------------------------------------------------------------------------------

type Doc = Record<string, unknown>;
export type FloorEntity = 'receipts' | 'orders';

/** Server-owned fields: a client's value for them is never compared or applied. */
const SERVER_FIELDS = new Set(['seq', 'updatedAt', 'id', 'tenantId']);

/** What judging one pushed receipt/order needs from the push (injected: one rule, one place). */
export type FloorPushDeps = {
  tx: Kysely<DB>;
  tenantId: string;
  role: Role;
  /** The push's audit binder (I4, I5: entries, confirmations, co-signs). */
  bind: (
    id: string,
    before: Doc | null,
    after: Doc,
    action: 'create' | 'update' | 'delete',
  ) => Promise<Bound | Refusal>;
  /** Fields the writer cannot see, from the push's shared-policy helper (I3). */
  invisible: (entity: FloorEntity, raw: Doc) => { cleaned: Doc; bad: string | null };
  writable: (entity: FloorEntity, field: string) => boolean;
  /** The caller's projection of a document (I2). */
  view: (d: Doc) => Doc;
  now: Date;
};

/** What to do with one pushed receipt/order. */
export type FloorVerdict =
  | { kind: 'reject'; code: Rejection['code']; reason: string; master?: Doc }
  | { kind: 'conflict'; master: Doc }
  | { kind: 'apply'; bound: Bound; write: () => Promise<void> };

/** The stored receipt or order (full, unprojected), or undefined. */
export async function loadFloorDoc(
  tx: Kysely<DB>,
  tenantId: string,
  entity: FloorEntity,
  id: string,
): Promise<Doc | undefined> {
  if (entity === 'receipts') {
    const r = await tx
      .selectFrom('receipts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? receiptRowToDoc(r) : undefined;
  }
  const r = await tx
    .selectFrom('orders')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? orderRowToDoc(r) : undefined;
}

const issues = (e: { issues: { path: PropertyKey[]; message: string }[] }) =>
  e.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ');

/**
 * Judge one pushed receipt or order: zod, tenant, write rights (hidden fields refused, masked
 * ones kept from the stored row), status rules, conflict detection against the caller's view of
 * the master, confirmation of cancellation and deletion (through the binder), unique order
 * numbers. Returns what to write (with sequence `nextSeq`).
 */
export async function judgeFloorDoc(
  d: FloorPushDeps,
  entity: FloorEntity,
  raw: Doc,
  assumed: Doc | null | undefined,
  /** The sequence the change gets if it is applied. */
  nextSeq: number,
): Promise<FloorVerdict> {
  const { cleaned, bad } = d.invisible(entity, raw);
  if (bad !== null) return { kind: 'reject', code: 'forbidden', reason: `role ${d.role} may not set ${bad}` };
  const parsed = entity === 'receipts' ? ReceiptDoc.safeParse(cleaned) : OrderDoc.safeParse(cleaned);
  if (!parsed.success) return { kind: 'reject', code: 'invalid', reason: issues(parsed.error) };
  const doc = parsed.data as Doc & (ReceiptDoc | OrderDoc);
  if (doc.tenantId !== d.tenantId)
    return { kind: 'reject', code: 'wrong-tenant', reason: 'document belongs to another tenant' };
  const what = entity === 'receipts' ? 'receipts' : 'orders';
  if (!d.writable(entity, '*') && !['status', 'lines'].some((f) => d.writable(entity, f)))
    return { kind: 'reject', code: 'forbidden', reason: `role ${d.role} may not change ${what}` };
  const fields = Object.keys(doc).filter((k) => !SERVER_FIELDS.has(k) && k !== '_deleted');
  const stored = await loadFloorDoc(d.tx, d.tenantId, entity, String(doc.id));

  if (!stored) {
    const denied = fields.find((f) => doc[f] !== undefined && doc[f] !== null && !d.writable(entity, f));
    if (denied !== undefined)
      return {
        kind: 'reject',
        code: 'forbidden',
        reason: `role ${d.role} may not create ${what} (${denied})`,
      };
    if (doc._deleted === true)
      return { kind: 'reject', code: 'invalid', reason: `a new ${what.slice(0, -1)} cannot be deleted` };
    // Any status: a document created and worked on one PC before it first synced (an order created
    // and picked offline) arrives in its latest status, every status is reachable from open, and
    // its entries fold into the create entry. A cancellation still needs its confirmation (bind).
    if (entity === 'orders') {
      const clash = await numberTaken(d.tx, d.tenantId, String(doc['number']), String(doc.id));
      if (clash)
        return { kind: 'reject', code: 'invalid', reason: `order number ${String(doc['number'])} is taken` };
    }
    const created: Doc = {
      ...doc,
      tenantId: d.tenantId,
      updatedAt: d.now.toISOString(),
      seq: nextSeq,
      _deleted: false,
    };
    const bound = await d.bind(String(doc.id), null, created, 'create');
    if (isRefusal(bound)) return { kind: 'reject', code: bound.code, reason: bound.reason };
    return {
      kind: 'apply',
      bound,
      write: () => insertFloorRow(d.tx, entity, created as never, d.now),
    };
  }

  // Conflict detection against what this user can see of the master (I2). A concurrent edit from
  // the same base merges field by field and line by line (shared/domain/merge.ts); where both
  // changed one field differently the client's conflict handler resolves it (server wins, the
  // loss goes to Needs attention); an edit of a document shipped, cancelled or deleted meanwhile
  // is refused.
  const masterView = d.view(stored);
  let change: Doc = doc;
  let mergeNote: string | null = null;
  if (!assumed || !sameDoc(floorContent(assumed), floorContent(masterView))) {
    if (!assumed) return { kind: 'conflict', master: stored };
    const m = mergeFloorDoc(entity, stripFloor(assumed), doc, masterView);
    if (!m.ok) return { kind: 'reject', code: 'conflict', reason: m.reason, master: stored };
    if (m.conflicts.length > 0) return { kind: 'conflict', master: stored };
    // The merge is in the caller's view: keep only what it sent, so a field it cannot see (or sees
    // masked) stays as stored.
    change = { _deleted: m.merged['_deleted'] === true };
    for (const f of fields) change[f] = m.merged[f];
    // Nothing of this edit is left to apply (both sides made the same change): the client adopts
    // the server's document.
    if (sameDoc(stripFloor({ ...masterView, ...change }), stripFloor(masterView)))
      return { kind: 'conflict', master: stored };
    // The paths come partly from the client's assumed state: name a few, not an unbounded list.
    const theirs = m.theirs.length > 8 ? [...m.theirs.slice(0, 8), '…'] : m.theirs;
    mergeNote = `[merged with a concurrent change${theirs.length > 0 ? ` of ${theirs.join(', ')}` : ''}]`;
  }

  const next: Doc = { ...stored };
  let dirty = false;
  for (const f of [...fields, '_deleted']) {
    const have = f === '_deleted' ? stored['_deleted'] === true : stored[f];
    const want = f === '_deleted' ? change['_deleted'] === true : change[f];
    // An absent optional field (hidden from the writer, or masked and unchanged) means "unchanged".
    if (want === undefined || deepEqual(have, want)) continue;
    if (!d.writable(entity, f))
      return {
        kind: 'reject',
        code: 'forbidden',
        reason: `role ${d.role} may not change ${f}`,
        master: stored,
      };
    next[f] = want;
    dirty = true;
  }
  // Nothing to change (a retry whose first push was applied, or edits undone before the push):
  // answered with the stored version, which the PC adopts — else its entries stay pending when
  // its pull has already passed that version.
  if (!dirty) return { kind: 'conflict', master: stored };
  const from = stored['status'] as string;
  const to = next['status'] as string;
  // A shipped or cancelled order (a cancelled notice) takes no further edit; deleting it is
  // still possible (destructive, confirmed through the binder).
  const onlyDeleting = next['_deleted'] === true && sameDoc({ ...next, _deleted: false }, stored);
  if (isFinalStatus(entity, from) && !onlyDeleting)
    return {
      kind: 'reject',
      code: 'invalid',
      reason: `a ${from} ${what.slice(0, -1)} cannot be changed`,
      master: stored,
    };
  // A closed notice takes no edit but its reopening (to receive more) or its deletion: its header
  // and lines are what was received against; the client refuses the same (updateReceipt).
  if (entity === 'receipts' && from === 'closed') {
    const edited = Object.keys(next).find(
      (f) => f !== 'status' && f !== '_deleted' && !deepEqual(stored[f], next[f]),
    );
    if (edited !== undefined)
      return {
        kind: 'reject',
        code: 'invalid',
        reason: `a closed receipt cannot be changed (${edited}); reopen it first`,
        master: stored,
      };
  }
  const allowed =
    entity === 'orders'
      ? orderTransitionAllowed(from as OrderDoc['status'], to as OrderDoc['status'])
      : receiptTransitionAllowed(from as ReceiptDoc['status'], to as ReceiptDoc['status']);
  if (!allowed)
    return {
      kind: 'reject',
      code: 'invalid',
      reason: `a ${from} ${what.slice(0, -1)} cannot become ${to}`,
      master: stored,
    };
  const linesChanged = !deepEqual(stored['lines'], next['lines']);
  const linesOpen = entity === 'orders' ? from === 'open' : from === 'open' || from === 'receiving';
  if (linesChanged && !linesOpen)
    return {
      kind: 'reject',
      code: 'invalid',
      reason: `the lines of a ${from} ${what.slice(0, -1)} are fixed`,
      master: stored,
    };
  if (entity === 'orders' && next['number'] !== stored['number']) {
    const clash = await numberTaken(d.tx, d.tenantId, String(next['number']), String(stored['id']));
    if (clash)
      return {
        kind: 'reject',
        code: 'invalid',
        reason: `order number ${String(next['number'])} is taken`,
        master: stored,
      };
  }
  const deleting = next['_deleted'] === true && stored['_deleted'] !== true;
  const after: Doc = { ...next, updatedAt: d.now.toISOString(), seq: nextSeq };
  const bound = await d.bind(String(stored['id']), stored, after, deleting ? 'delete' : 'update');
  if (isRefusal(bound)) return { kind: 'reject', code: bound.code, reason: bound.reason, master: stored };
  // The audit entry says the change was merged (before/after are the stored and merged documents).
  if (mergeNote !== null)
    bound.entry.reason = bound.entry.reason ? `${bound.entry.reason} ${mergeNote}` : mergeNote;
  return {
    kind: 'apply',
    bound,
    write: () => updateFloorRow(d.tx, entity, after as never, d.now, nextSeq),
  };
}

/** Keys that only one side may carry without meaning a difference (local bookkeeping). */
function stripFloor(d: Doc): Doc {
  const { pendingAudit: _p, ...rest } = d;
  return rest;
}

/**
 * What a conflict check compares: the document without the server-owned sequence and time. A PC
 * that pushes twice before it pulls assumes the document it sent first (its own `seq` and
 * `updatedAt`); the server stored the same content under its own — not a concurrent change.
 */
function floorContent(d: Doc): Doc {
  const { pendingAudit: _p, seq: _s, updatedAt: _u, ...rest } = d;
  return rest;
}

async function numberTaken(tx: Kysely<DB>, tenantId: string, number: string, id: string): Promise<boolean> {
  const r = await tx
    .selectFrom('orders')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`lower(number) = lower(${number})`)
    .where('id', '!=', id)
    .executeTakeFirst();
  return r !== undefined;
}

async function insertFloorRow(
  tx: Kysely<DB>,
  entity: FloorEntity,
  doc: (ReceiptDoc | OrderDoc) & { seq: number },
  now: Date,
): Promise<void> {
  if (entity === 'receipts') {
    const r = doc as ReceiptDoc;
    await tx
      .insertInto('receipts')
      .values({
        tenant_id: r.tenantId,
        id: r.id,
        reference: r.reference,
        supplier: r.supplier,
        expected_at: r.expectedAt,
        status: r.status,
        lines: JSON.stringify(r.lines),
        updated_at: now,
        seq: doc.seq,
        deleted: false,
      })
      .execute();
    return;
  }
  const o = doc as OrderDoc;
  await tx
    .insertInto('orders')
    .values({
      tenant_id: o.tenantId,
      id: o.id,
      number: o.number,
      customer_name: o.customerName ?? null,
      customer_phone: o.customerPhone ?? null,
      customer_email: o.customerEmail ?? null,
      ship_to: o.shipTo ? JSON.stringify(o.shipTo) : null,
      status: o.status,
      lines: JSON.stringify(o.lines),
      updated_at: now,
      seq: doc.seq,
      deleted: false,
    })
    .execute();
}

async function updateFloorRow(
  tx: Kysely<DB>,
  entity: FloorEntity,
  doc: (ReceiptDoc | OrderDoc) & { _deleted?: boolean },
  now: Date,
  seq: number,
): Promise<void> {
  if (entity === 'receipts') {
    const r = doc as ReceiptDoc;
    await tx
      .updateTable('receipts')
      .set({
        reference: r.reference,
        supplier: r.supplier,
        expected_at: r.expectedAt,
        status: r.status,
        lines: JSON.stringify(r.lines),
        deleted: r._deleted === true,
        updated_at: now,
        seq,
      })
      .where('tenant_id', '=', r.tenantId)
      .where('id', '=', r.id)
      .execute();
    return;
  }
  const o = doc as OrderDoc;
  // Fields hidden from the writer were copied from the stored row, never wiped (I3).
  await tx
    .updateTable('orders')
    .set({
      number: o.number,
      customer_name: o.customerName ?? null,
      customer_phone: o.customerPhone ?? null,
      customer_email: o.customerEmail ?? null,
      ship_to: o.shipTo ? JSON.stringify(o.shipTo) : null,
      status: o.status,
      lines: JSON.stringify(o.lines),
      deleted: o._deleted === true,
      updated_at: now,
      seq,
    })
    .where('tenant_id', '=', o.tenantId)
    .where('id', '=', o.id)
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Items' floor fields and movements' stock rule
// ---------------------------------------------------------------------------------------------

export { itemFloorColumns, itemFloorFields, normalizeItemForCompare } from './mapping.js';

/**
 * Whether a movement must leave its source balance at zero or above. Ordinary floor work (put-away,
 * transfer, pick, ship) must; a confirmed correction — adjustment, count, rollback — may go below,
 * because I5 already confirmed it (and a count is exactly how a wrong balance gets fixed).
 */
export function mustNotGoNegative(m: Pick<MovementDoc, 'type' | 'reversalOf'>): boolean {
  if (m.reversalOf) return false;
  return m.type !== 'adjustment' && m.type !== 'count';
}
