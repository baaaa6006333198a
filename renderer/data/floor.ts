import { useEffect, useState } from 'react';
import type { RxCollection } from 'rxdb';
import type { z } from 'zod';
import { auditTime, from, map, merge, Observable, of, startWith, switchMap } from 'rxjs';
import {
  DEFAULT_TENANT_SETTINGS,
  roleCanRead,
  roleCanWrite,
  roleIn,
  type Entity,
  type FieldOverrides,
  type Role,
  type TenantSettings,
} from '../../shared/access/policy.js';
import type { Confirmation } from '../../shared/audit/chain.js';
import { judgeChange, typedMatches } from '../../shared/audit/destructive.js';
import type { AuditAction } from '../../shared/audit/entry.js';
import type { LocationDoc, ShipTo } from '../../shared/domain/floor.js';
import {
  batchExpiry,
  captureProblems,
  countDifferences,
  fefoSuggest,
  ItemImportRow,
  onHandRows,
  OrderDoc,
  orderPicked,
  orderTransitionAllowed,
  ReceiptDoc,
  receiptProgress,
  receiptTransitionAllowed,
  wouldGoNegative,
  type CountDifference,
  type CsvError,
  type FefoSuggestion,
  type OrderStatus,
  type ReceiptStatus,
  type StockRow,
} from '../../shared/domain/floor.js';
import { ItemDoc, MovementDoc, type MovementType } from '../../shared/domain/schemas.js';
import { principalOf, useSession } from '../state/session.js';
import { effectiveSeq, useAcks } from './acks.js';
import { balanceBase } from './balance-base.js';
import type { TenantDatabase } from './database.js';
import type { Local } from './schemas.js';
import { readAllRaw } from './storage/raw-read.js';
import { currentActor, useWorkspace } from './workspace.js';
import { announceLocalChange, auditEntry, recordMovement, type Actor, type ChangeMeta } from './writes.js';

/*
 * The local data API of the floor workflows (issue #5). Every write goes through the audited path:
 * the change and its audit entry are one local write (`pendingAudit`), awaited before the caller
 * reports success; destructive changes carry a confirmation; stock only moves through movements.
 * The server re-checks everything (rights, confirmations, negative stock); the checks here give the
 * operator an immediate, specific answer — also offline.
 */

// ---------------------------------------------------------------------------------------------
// Context and errors
// ---------------------------------------------------------------------------------------------

/** What a floor write needs: the open partition, its tenant, who acts, the role and settings. */
export type FloorContext = {
  db: TenantDatabase;
  tenantId: string;
  actor: Actor;
  role: Role | null;
  settings: TenantSettings;
  /** The tenant's field-policy overrides (they only tighten the default matrix). */
  overrides?: FieldOverrides;
  /** Today's date (YYYY-MM-DD) for expiry rules; from the PC's clock unless a test fixes it. */
  today?: string;
};

/** The context of the open partition (throws when no tenant is open or nobody is signed in). */
export function floorContext(): FloorContext {
  const { db, tenantId } = useWorkspace.getState();
  if (!db || !tenantId) throw new FloorError('no-partition', 'no client is open');
  const principal = principalOf(useSession.getState());
  return {
    db,
    tenantId,
    actor: currentActor(),
    role: principal ? roleIn(principal, tenantId) : null,
    settings: principal?.policies?.[tenantId]?.settings ?? DEFAULT_TENANT_SETTINGS,
    overrides: principal?.policies?.[tenantId]?.overrides,
  };
}

/** Stable codes of what a floor write refuses (screens translate them). */
export type FloorErrorCode =
  | 'no-partition'
  | 'forbidden'
  | 'invalid'
  | 'not-found'
  | 'duplicate-sku'
  | 'duplicate-number'
  | 'unknown-location'
  | 'batch-required'
  | 'expiry-required'
  | 'insufficient-stock'
  | 'bad-status'
  | 'not-fully-picked'
  | 'nothing-to-ship'
  | 'confirmation-required'
  | 'confirmation-mismatch'
  | 'cosign-required'
  | 'below-picked'
  | 'below-received';

/** A refused floor write: a stable code, a human message (English) and details for the screen. */
export class FloorError extends Error {
  constructor(
    readonly code: FloorErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FloorError';
  }
}

const today = (ctx: FloorContext): string => ctx.today ?? new Date().toISOString().slice(0, 10);

function mayWrite(ctx: FloorContext, entity: Entity, field = '*'): void {
  const overrides = principalOverrides(ctx);
  if (ctx.role === null || !roleCanWrite(ctx.role, entity, field, overrides)) {
    throw new FloorError(
      'forbidden',
      `your role may not change ${entity}${field === '*' ? '' : ` (${field})`}`,
      {
        entity,
        field,
      },
    );
  }
}

function principalOverrides(ctx: FloorContext): FieldOverrides | undefined {
  return ctx.overrides;
}

function parseOr<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
    throw new FloorError('invalid', issues.join('; '), { issues });
  }
  return r.data;
}

/** A stored document without local bookkeeping (`pendingAudit`, RxDB meta fields). */
function plain<T>(doc: { toJSON(): unknown }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.toJSON() as Record<string, unknown>)) {
    if (k === 'pendingAudit' || k.startsWith('_')) continue;
    out[k] = v;
  }
  return out as T;
}

/** Drop undefined values (RxDB stores only declared, defined fields). */
function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const nowIso = () => new Date().toISOString();

/** Insert a new mutable document with its `create` audit entry in one write. */
async function insertAudited<T extends { id: string }>(
  ctx: FloorContext,
  collection: RxCollection<Local<T>>,
  entity: 'items' | 'orders' | 'receipts',
  doc: T,
  meta: ChangeMeta = {},
): Promise<void> {
  const { _deleted: _d, ...rest } = doc as T & { _deleted?: boolean };
  const entry = auditEntry(ctx.actor, entity, doc.id, meta.action ?? 'create', meta);
  await collection.insert({ ...defined(rest as Record<string, unknown>), pendingAudit: [entry] } as never);
  announceLocalChange(ctx.tenantId, meta);
}

/** Change a mutable document, appending the audit entry to any still waiting for the server. */
async function modifyAudited<T extends { id: string }>(
  ctx: FloorContext,
  collection: RxCollection<Local<T>>,
  entity: 'orders' | 'receipts',
  id: string,
  patch: Partial<T>,
  meta: ChangeMeta & { action?: AuditAction } = {},
): Promise<T> {
  const doc = await collection.findOne(id).exec();
  if (!doc) throw new FloorError('not-found', `${entity} ${id} not found`, { entity, id });
  const entry = auditEntry(ctx.actor, entity, id, meta.action ?? 'update', meta);
  const next = await doc.incrementalModify((d) => ({
    ...d,
    ...patch,
    updatedAt: nowIso(),
    pendingAudit: [...((d as { pendingAudit?: unknown[] }).pendingAudit ?? []), entry],
  }));
  announceLocalChange(ctx.tenantId, meta);
  return plain<T>(next);
}

function newMovement(
  ctx: FloorContext,
  m: {
    itemId: string;
    type: MovementType;
    quantity: number;
    from: string | null;
    to: string | null;
    batch: string | null;
    expiresAt?: string | null;
    refId?: string | null;
    note?: string | null;
  },
): MovementDoc {
  return parseOr<MovementDoc>(MovementDoc, {
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    itemId: m.itemId,
    type: m.type,
    quantity: m.quantity,
    fromLocationId: m.from,
    toLocationId: m.to,
    batch: m.batch === null || m.batch.trim() === '' ? null : m.batch.trim(),
    note: m.note ?? null,
    reversalOf: null,
    expiresAt: m.expiresAt ?? null,
    refId: m.refId ?? null,
    createdAt: nowIso(),
    createdBy: ctx.actor.userId,
    deviceId: ctx.actor.deviceId,
    seq: 0,
  });
}

// ---------------------------------------------------------------------------------------------
// Reads (plain async; the hooks below are their live versions)
// ---------------------------------------------------------------------------------------------

/**
 * Stock rows of the partition for an item and/or a location: server balances + own unsynced.
 *
 * Read by one pass over the stored documents (`readAllRaw`), not by an indexed query: the
 * in-memory storage builds an index the first time a query reads it, and for the `itemId` index
 * of 500,000 movements that is one sort lasting seconds, in the middle of a pick. A pass over the
 * documents of a large tenant takes milliseconds and freezes nothing.
 */
export async function readStock(
  db: TenantDatabase,
  sel: { itemId?: string; locationId?: string },
): Promise<StockRow[]> {
  const [balances, movements] = await Promise.all([readAllRaw(db.balances), readAllRaw(db.movements)]);
  const acks = useAcks.getState().seqs;
  const base = balanceBase(db.name);
  const item = (x: { itemId: string }) => sel.itemId === undefined || x.itemId === sel.itemId;
  const mine: MovementDoc[] = [];
  for (const m of movements) {
    if (!item(m)) continue;
    if (
      sel.locationId !== undefined &&
      m.toLocationId !== sel.locationId &&
      m.fromLocationId !== sel.locationId
    )
      continue;
    mine.push({ ...m, seq: effectiveSeq(m, acks, base) });
  }
  return onHandRows(
    balances.filter((b) => item(b) && (sel.locationId === undefined || b.locationId === sel.locationId)),
    mine,
    sel,
  );
}

/** Movements that belong to a receipt or an order (by `refId`). */
export async function readMovementsOf(db: TenantDatabase, refId: string): Promise<MovementDoc[]> {
  return (await db.movements.find({ selector: { refId } }).exec()).map((d) => d.toJSON() as MovementDoc);
}

async function checkLocation(ctx: FloorContext, locationId: string | null): Promise<void> {
  if (locationId === null) return;
  // Reference data may not have arrived yet (first start offline): then any code is taken.
  const known = await ctx.db.locations.count().exec();
  if (known === 0) return;
  const loc = await ctx.db.locations.findOne(locationId).exec();
  if (!loc) throw new FloorError('unknown-location', `location ${locationId} does not exist`, { locationId });
}

async function requireItem(ctx: FloorContext, itemId: string): Promise<ItemDoc> {
  const item = await ctx.db.items.findOne(itemId).exec();
  if (!item) throw new FloorError('not-found', `item ${itemId} not found`, { entity: 'items', id: itemId });
  return plain<ItemDoc>(item);
}

// ---------------------------------------------------------------------------------------------
// Master data
// ---------------------------------------------------------------------------------------------

/** What a new item needs; everything but sku, name and uom is optional. */
export type ItemInput = {
  sku: string;
  name: string;
  uom: string;
  barcode?: string | null;
  barcodes?: string[];
  lengthCm?: number | null;
  widthCm?: number | null;
  heightCm?: number | null;
  weightKg?: number | null;
  batchTracked?: boolean;
  expiryTracked?: boolean;
  minStock?: number | null;
  /** Only for roles that may write it (admin, finance); refused otherwise. */
  purchasePrice?: number | null;
};

/**
 * A new item document. Every floor field is written with its value or its "nothing set" value,
 * exactly as the server stores and sends items back, so the next edit's assumed state matches the
 * master. The purchase price is written only where the role's partition holds it.
 */
function itemDocFrom(ctx: FloorContext, input: ItemInput): ItemDoc {
  const priceVisible = ctx.role !== null && roleCanRead(ctx.role, 'items', 'purchasePrice', ctx.overrides);
  return parseOr<ItemDoc>(
    ItemDoc,
    defined({
      id: crypto.randomUUID(),
      tenantId: ctx.tenantId,
      sku: input.sku.trim(),
      name: input.name.trim(),
      uom: input.uom.trim(),
      barcode: input.barcode?.trim() || null,
      barcodes: input.barcodes ?? [],
      lengthCm: input.lengthCm ?? null,
      widthCm: input.widthCm ?? null,
      heightCm: input.heightCm ?? null,
      weightKg: input.weightKg ?? null,
      batchTracked: input.batchTracked ?? false,
      expiryTracked: input.expiryTracked ?? false,
      minStock: input.minStock ?? null,
      purchasePrice: priceVisible ? (input.purchasePrice ?? null) : undefined,
      updatedAt: nowIso(),
      seq: 0,
    }),
  );
}

async function existingCodes(db: TenantDatabase): Promise<{ skus: Set<string>; barcodes: Set<string> }> {
  const items = await db.items.find().exec();
  const skus = new Set<string>();
  const barcodes = new Set<string>();
  for (const i of items) {
    skus.add(i.sku.toLowerCase());
    if (i.barcode) barcodes.add(i.barcode);
    for (const b of i.barcodes ?? []) barcodes.add(b);
  }
  return { skus, barcodes };
}

/** Create one item (SKU unique in the tenant, case-insensitive). */
export async function createItem(ctx: FloorContext, input: ItemInput): Promise<ItemDoc> {
  mayWrite(ctx, 'items', 'sku');
  if (input.purchasePrice !== undefined && input.purchasePrice !== null)
    mayWrite(ctx, 'items', 'purchasePrice');
  const doc = itemDocFrom(ctx, input);
  const { skus, barcodes } = await existingCodes(ctx.db);
  if (skus.has(doc.sku.toLowerCase()))
    throw new FloorError('duplicate-sku', `SKU ${doc.sku} already exists`, { sku: doc.sku });
  const clash = [doc.barcode, ...(doc.barcodes ?? [])].find((b) => b && barcodes.has(b));
  if (clash)
    throw new FloorError('invalid', `barcode ${clash} already belongs to another item`, { barcode: clash });
  await insertAudited(ctx, ctx.db.items, 'items', doc);
  return doc;
}

/**
 * Import items, all or nothing: every row is validated (zod, duplicates within the rows and
 * against the tenant's items, the writer's field rights) before anything is written; with any
 * error nothing is imported and the errors come back (`row` counts data rows from 2, like the
 * CSV with its header). `onProgress` reports written rows.
 */
export async function importItems(
  ctx: FloorContext,
  rows: readonly ItemImportRow[],
  onProgress?: (done: number, total: number) => void,
): Promise<{ imported: number; errors: CsvError[] }> {
  mayWrite(ctx, 'items', 'sku');
  const errors: CsvError[] = [];
  const { skus, barcodes } = await existingCodes(ctx.db);
  const seenSku = new Map<string, number>();
  const seenCode = new Map<string, number>();
  const priceAllowed =
    ctx.role !== null && roleCanWrite(ctx.role, 'items', 'purchasePrice', principalOverrides(ctx));
  const docs: ItemDoc[] = [];
  rows.forEach((raw, i) => {
    const row = i + 2;
    const parsed = ItemImportRow.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push({ row, field: String(issue.path[0] ?? ''), message: issue.message });
      return;
    }
    const r = parsed.data;
    const sku = r.sku.toLowerCase();
    if (skus.has(sku)) errors.push({ row, field: 'sku', message: `SKU "${r.sku}" already exists` });
    else if (seenSku.has(sku))
      errors.push({ row, field: 'sku', message: `SKU "${r.sku}" repeats row ${seenSku.get(sku)}` });
    seenSku.set(sku, seenSku.get(sku) ?? row);
    for (const code of new Set([...(r.barcode ? [r.barcode] : []), ...r.barcodes])) {
      if (barcodes.has(code))
        errors.push({ row, field: 'barcode', message: `barcode "${code}" already exists` });
      else if (seenCode.has(code))
        errors.push({
          row,
          field: 'barcode',
          message: `barcode "${code}" repeats row ${seenCode.get(code)}`,
        });
      seenCode.set(code, seenCode.get(code) ?? row);
    }
    if (r.purchasePrice !== null && !priceAllowed)
      errors.push({ row, field: 'purchasePrice', message: 'your role may not set the purchase price' });
    try {
      docs.push(itemDocFrom(ctx, r));
    } catch (e) {
      errors.push({ row, field: '', message: e instanceof Error ? e.message : String(e) });
    }
  });
  if (rows.length === 0) errors.push({ row: 2, field: '', message: 'nothing to import' });
  if (errors.length > 0) return { imported: 0, errors };

  // One bulk write: documents and their audit entries together. RxDB reports per-document errors
  // rather than failing the batch; with every row validated above none is expected, and should
  // one occur the written ones are taken back before replication picks them up (it debounces).
  const now = new Date();
  const batch = docs.map((doc) => ({
    ...defined(doc as Record<string, unknown>),
    pendingAudit: [auditEntry(ctx.actor, 'items', doc.id, 'create', { reason: 'import' }, now)],
  }));
  onProgress?.(0, batch.length);
  const res = await ctx.db.items.bulkInsert(batch as never);
  if (res.error.length > 0) {
    await ctx.db.items.bulkRemove(res.success.map((d) => (d as { id: string }).id));
    return {
      imported: 0,
      errors: res.error.map((e) => ({
        row: docs.findIndex((d) => d.id === e.documentId) + 2,
        field: '',
        message: `could not be stored (${e.status})`,
      })),
    };
  }
  onProgress?.(batch.length, batch.length);
  announceLocalChange(ctx.tenantId, {});
  return { imported: docs.length, errors: [] };
}

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

/** What a new inbound notice needs; no lines makes it a blind receipt. */
export type ReceiptInput = {
  reference: string;
  supplier?: string | null;
  expectedAt?: string | null;
  lines: { itemId: string; expectedQty: number }[];
};

/** Create an inbound notice (ASN) or, with no lines, a blind receipt. */
export async function createReceipt(ctx: FloorContext, input: ReceiptInput): Promise<ReceiptDoc> {
  mayWrite(ctx, 'receipts');
  const doc = parseOr<ReceiptDoc>(ReceiptDoc, {
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    reference: input.reference.trim(),
    supplier: input.supplier?.trim() || null,
    expectedAt: input.expectedAt || null,
    status: 'open',
    // Random line ids: a line added on two PCs never gets the same id (lines merge by id).
    lines: input.lines.map((l) => ({
      lineId: crypto.randomUUID(),
      itemId: l.itemId,
      expectedQty: l.expectedQty,
    })),
    updatedAt: nowIso(),
    seq: 0,
  });
  await insertAudited(ctx, ctx.db.receipts, 'receipts', doc);
  return doc;
}

async function requireReceipt(ctx: FloorContext, id: string): Promise<ReceiptDoc> {
  const r = await ctx.db.receipts.findOne(id).exec();
  if (!r) throw new FloorError('not-found', `receipt ${id} not found`, { entity: 'receipts', id });
  return plain<ReceiptDoc>(r);
}

async function setReceiptStatus(
  ctx: FloorContext,
  receipt: ReceiptDoc,
  status: ReceiptStatus,
  meta: ChangeMeta = {},
): Promise<ReceiptDoc> {
  if (!receiptTransitionAllowed(receipt.status, status))
    throw new FloorError('bad-status', `receipt ${receipt.reference} is ${receipt.status}`, {
      from: receipt.status,
      to: status,
    });
  if (receipt.status === status) return receipt;
  return modifyAudited<ReceiptDoc>(ctx, ctx.db.receipts, 'receipts', receipt.id, { status }, meta);
}

/** One received quantity: against a receipt (or `null`: an ad-hoc receipt without a notice). */
export type ReceiveInput = {
  receiptId: string | null;
  itemId: string;
  qty: number;
  batch: string | null;
  expiresAt: string | null;
  /** Where the goods are put down (a receiving dock such as `RCV-01`). */
  locationId: string;
  note?: string | null;
};

/**
 * Receive goods: a `receipt` movement into the location with batch, expiry and the receipt's id.
 * Batch and expiry are required for items that track them. The first quantity received moves the
 * receipt to `receiving`. Over-receipts and unexpected items are allowed (and shown as such).
 */
export async function receiveLine(ctx: FloorContext, input: ReceiveInput): Promise<MovementDoc> {
  mayWrite(ctx, 'movements');
  const item = await requireItem(ctx, input.itemId);
  const problems = captureProblems(item, { batch: input.batch, expiresAt: input.expiresAt });
  if (problems.length > 0)
    throw new FloorError(problems[0]!, `${item.sku}: ${problems.join(', ')}`, { sku: item.sku, problems });
  await checkLocation(ctx, input.locationId);
  let receipt: ReceiptDoc | null = null;
  if (input.receiptId !== null) {
    receipt = await requireReceipt(ctx, input.receiptId);
    if (receipt.status === 'cancelled' || receipt.status === 'closed')
      throw new FloorError('bad-status', `receipt ${receipt.reference} is ${receipt.status}`, {
        status: receipt.status,
      });
  }
  const m = newMovement(ctx, {
    itemId: input.itemId,
    type: 'receipt',
    quantity: input.qty,
    from: null,
    to: input.locationId,
    batch: input.batch,
    expiresAt: input.expiresAt,
    refId: input.receiptId,
    note: input.note ?? null,
  });
  await recordMovement(ctx.db, ctx.actor, m);
  if (receipt && receipt.status === 'open') await setReceiptStatus(ctx, receipt, 'receiving');
  return m;
}

/** Close a receipt (receiving finished; short lines stay visible as short). */
export async function closeReceipt(ctx: FloorContext, receiptId: string): Promise<ReceiptDoc> {
  mayWrite(ctx, 'receipts');
  return setReceiptStatus(ctx, await requireReceipt(ctx, receiptId), 'closed');
}

/** Cancel a receipt (destructive: the confirmation retypes its reference and gives a reason). */
export async function cancelReceipt(
  ctx: FloorContext,
  receiptId: string,
  confirmation: Confirmation,
): Promise<ReceiptDoc> {
  mayWrite(ctx, 'receipts');
  const receipt = await requireReceipt(ctx, receiptId);
  if (!typedMatches(confirmation.typed, receipt.reference))
    throw new FloorError('confirmation-mismatch', `retype ${receipt.reference} to cancel it`, {
      identifying: receipt.reference,
    });
  return setReceiptStatus(ctx, receipt, 'cancelled', { reason: confirmation.reason, confirmation });
}

/**
 * An edit of an inbound notice, relative to what the editor showed: header fields to set, and line
 * changes by line id — so a line another PC added meanwhile is neither removed nor overwritten.
 * Absent means unchanged.
 */
export type ReceiptPatch = {
  reference?: string;
  supplier?: string | null;
  /** Expected arrival day (YYYY-MM-DD); null or empty: unknown. */
  expectedAt?: string | null;
  /** New lines; each gets a random line id. */
  addLines?: readonly { itemId: string; expectedQty: number }[];
  /** Line ids to remove (a line already gone is fine). */
  removeLines?: readonly string[];
  /** New expected quantities by line id (greater than 0; a line goes away only through `removeLines`). */
  setQty?: Readonly<Record<string, number>>;
};

const RECEIPT_HEADER = ['reference', 'supplier', 'expectedAt'] as const;

/**
 * The lines of an order or a notice after an edit by line id: removed lines dropped, quantities
 * (`key`) set, new lines appended with random line ids (lines merge by id, so a line added on two
 * PCs never gets the same one). A quantity set on a line that is gone, or not above 0, is refused;
 * `words` name the document and its quantity in the message.
 */
function patchLines<K extends 'qty' | 'expectedQty'>(
  current: readonly ({ lineId: string; itemId: string } & Record<K, number>)[],
  key: K,
  patch: {
    addLines?: readonly ({ itemId: string } & Record<K, number>)[];
    removeLines?: readonly string[];
    setQty?: Readonly<Record<string, number>>;
  },
  words: { doc: string; quantity: string },
): ({ lineId: string; itemId: string } & Record<K, number>)[] {
  const removing = new Set(patch.removeLines ?? []);
  const setQty = patch.setQty ?? {};
  for (const [lineId, qty] of Object.entries(setQty)) {
    if (!current.some((l) => l.lineId === lineId) || removing.has(lineId))
      throw new FloorError('invalid', `line ${lineId} is no longer on ${words.doc}`, { lineId });
    if (!(qty > 0))
      throw new FloorError('invalid', `${words.quantity} must be greater than 0 (remove the line instead)`, {
        lineId,
      });
  }
  return [
    ...current
      .filter((l) => !removing.has(l.lineId))
      .map((l) => (setQty[l.lineId] === undefined ? l : { ...l, [key]: setQty[l.lineId]! })),
    ...(patch.addLines ?? []).map(
      (l) =>
        ({ lineId: crypto.randomUUID(), itemId: l.itemId, [key]: l[key] }) as {
          lineId: string;
          itemId: string;
        } & Record<K, number>,
    ),
  ];
}

/**
 * Edit an inbound notice after it was created (issue #5): reference, supplier and expected day
 * (each only where the role may write it) and its expected lines — added, removed, quantity
 * changed. The rules are the server's (server/sync/floor.ts): a cancelled notice takes no edit and
 * lines change only while it is open or receiving. A closed notice is refused here as a whole, as
 * `receiveLine` refuses it, and the server refuses any change of it but its reopening or deletion. A notice may end
 * with no lines: it is then a blind receipt, as the schema and the server allow. An item's expected quantity may not be lowered below what is already received of
 * it (removing its line counts as 0). One audit entry per call; nothing is written when nothing
 * changes or anything is refused.
 */
export async function updateReceipt(
  ctx: FloorContext,
  receiptId: string,
  patch: ReceiptPatch,
): Promise<ReceiptDoc> {
  mayWrite(ctx, 'receipts');
  const receipt = await requireReceipt(ctx, receiptId);
  if (receipt.status === 'cancelled' || receipt.status === 'closed')
    throw new FloorError('bad-status', `receipt ${receipt.reference} is ${receipt.status}`, {
      status: receipt.status,
    });

  const changes: Partial<ReceiptDoc> = {};
  const wanted: Record<(typeof RECEIPT_HEADER)[number], unknown> = {
    reference: patch.reference?.trim(),
    supplier: patch.supplier === undefined ? undefined : patch.supplier?.trim() || null,
    expectedAt: patch.expectedAt === undefined ? undefined : patch.expectedAt?.trim() || null,
  };
  if (wanted.reference === '')
    throw new FloorError('invalid', 'a notice keeps its reference (delivery note or ASN number)', {
      field: 'reference',
    });
  for (const f of RECEIPT_HEADER) {
    const v = wanted[f];
    if (v === undefined || v === receipt[f]) continue;
    mayWrite(ctx, 'receipts', f);
    (changes as Record<string, unknown>)[f] = v;
  }

  const lines = patchLines(receipt.lines, 'expectedQty', patch, {
    doc: `notice ${receipt.reference}`,
    quantity: 'an expected quantity',
  });
  for (const l of patch.addLines ?? [])
    if (!(l.expectedQty > 0))
      throw new FloorError('invalid', `an expected quantity must be greater than 0`, { itemId: l.itemId });
  if (!sameJson(lines, receipt.lines)) {
    mayWrite(ctx, 'receipts', 'lines');
    for (const l of patch.addLines ?? []) await requireItem(ctx, l.itemId);
    // Received quantities as the receiving screen shows them (receipt movements of this notice,
    // filled into the item's lines); only an item whose expected total goes down is judged, so a
    // blind or over-received item is no obstacle to editing the other lines.
    const progress = receiptProgress(receipt, await readMovementsOf(ctx.db, receipt.id));
    const expectedOf = (ls: readonly { itemId: string; expectedQty: number }[], itemId: string) =>
      ls.filter((l) => l.itemId === itemId).reduce((s, l) => s + l.expectedQty, 0);
    const received = new Map<string, number>();
    for (const l of progress.lines) received.set(l.itemId, (received.get(l.itemId) ?? 0) + l.received);
    for (const [itemId, got] of received) {
      const before = expectedOf(receipt.lines, itemId);
      const qty = expectedOf(lines, itemId);
      if (qty < before && qty < got) {
        const sku = (await ctx.db.items.findOne(itemId).exec())?.sku ?? itemId;
        throw new FloorError(
          'below-received',
          `${sku}: ${got} already received, ${qty} left expected on the notice`,
          { sku, received: got, qty },
        );
      }
    }
    changes.lines = lines;
  }
  if (Object.keys(changes).length === 0) return receipt;
  parseOr<ReceiptDoc>(ReceiptDoc, { ...receipt, ...changes });
  return modifyAudited<ReceiptDoc>(ctx, ctx.db.receipts, 'receipts', receipt.id, changes);
}

// ---------------------------------------------------------------------------------------------
// Stock moves
// ---------------------------------------------------------------------------------------------

/** A move of stock between two locations (put-away or transfer). */
export type MoveInput = { itemId: string; batch: string | null; from: string; to: string; qty: number };

async function moveStock(
  ctx: FloorContext,
  type: 'putaway' | 'transfer' | 'pick',
  input: MoveInput & { refId?: string | null; note?: string | null },
): Promise<MovementDoc> {
  mayWrite(ctx, 'movements');
  await requireItem(ctx, input.itemId);
  await checkLocation(ctx, input.from);
  await checkLocation(ctx, input.to);
  const rows = await readStock(ctx.db, { itemId: input.itemId });
  const m = newMovement(ctx, {
    itemId: input.itemId,
    type,
    quantity: input.qty,
    from: input.from,
    to: input.to,
    batch: input.batch,
    expiresAt: batchExpiry(rows, input.itemId, input.batch),
    refId: input.refId ?? null,
    note: input.note ?? null,
  });
  if (wouldGoNegative(rows, m)) {
    const available = rows
      .filter((r) => r.locationId === input.from && (r.batch ?? null) === m.batch)
      .reduce((s, r) => s + r.quantity, 0);
    throw new FloorError('insufficient-stock', `only ${available} at ${input.from}`, {
      available,
      locationId: input.from,
      batch: m.batch,
    });
  }
  await recordMovement(ctx.db, ctx.actor, m);
  return m;
}

/** Put received stock away into a bin (refused when the source does not hold that much). */
export function putAway(ctx: FloorContext, input: MoveInput): Promise<MovementDoc> {
  return moveStock(ctx, 'putaway', input);
}

/** Move stock between two bins. */
export function transfer(ctx: FloorContext, input: MoveInput): Promise<MovementDoc> {
  return moveStock(ctx, 'transfer', input);
}

// ---------------------------------------------------------------------------------------------
// Outbound
// ---------------------------------------------------------------------------------------------

/** What a new order needs. */
export type OrderInput = {
  number: string;
  customerName: string;
  customerPhone?: string | null;
  customerEmail?: string | null;
  shipTo: ShipTo;
  lines: { itemId: string; qty: number }[];
};

/** Create an outbound order (order numbers are unique in the tenant, case-insensitive). */
export async function createOrder(ctx: FloorContext, input: OrderInput): Promise<OrderDoc> {
  mayWrite(ctx, 'orders');
  for (const f of ['customerName', 'shipTo'] as const) mayWrite(ctx, 'orders', f);
  if (input.customerPhone) mayWrite(ctx, 'orders', 'customerPhone');
  if (input.customerEmail) mayWrite(ctx, 'orders', 'customerEmail');
  const number = input.number.trim();
  const clash = await ctx.db.orders.find().exec();
  if (clash.some((o) => o.number.toLowerCase() === number.toLowerCase()))
    throw new FloorError('duplicate-number', `order ${number} already exists`, { number });
  const doc = parseOr<OrderDoc>(
    OrderDoc,
    defined({
      id: crypto.randomUUID(),
      tenantId: ctx.tenantId,
      number,
      customerName: input.customerName.trim(),
      customerPhone: input.customerPhone?.trim() || null,
      customerEmail: input.customerEmail?.trim() || null,
      shipTo: input.shipTo,
      status: 'open',
      lines: input.lines.map((l) => ({ lineId: crypto.randomUUID(), itemId: l.itemId, qty: l.qty })),
      updatedAt: nowIso(),
      seq: 0,
    }),
  );
  await insertAudited(ctx, ctx.db.orders, 'orders', doc);
  return doc;
}

async function requireOrder(ctx: FloorContext, id: string): Promise<OrderDoc> {
  const o = await ctx.db.orders.findOne(id).exec();
  if (!o) throw new FloorError('not-found', `order ${id} not found`, { entity: 'orders', id });
  return plain<OrderDoc>(o);
}

/**
 * An edit of an order, relative to what the editor showed: customer fields to set, and line
 * changes by line id — so a line another PC added meanwhile (synced in while the form was open) is
 * neither removed nor overwritten. Absent means unchanged.
 */
export type OrderPatch = {
  customerName?: string;
  customerPhone?: string | null;
  customerEmail?: string | null;
  shipTo?: ShipTo;
  /** New lines; each gets a random line id. */
  addLines?: readonly { itemId: string; qty: number }[];
  /** Line ids to remove (a line already gone is fine). Removing a line is an ordinary edit. */
  removeLines?: readonly string[];
  /** New quantities by line id (greater than 0; a line goes away only through `removeLines`). */
  setQty?: Readonly<Record<string, number>>;
};

const CUSTOMER_FIELDS = ['customerName', 'customerPhone', 'customerEmail', 'shipTo'] as const;

function normalShipTo(a: ShipTo): ShipTo {
  return {
    line1: a.line1.trim(),
    line2: a.line2?.trim() || null,
    city: a.city.trim(),
    postalCode: a.postalCode?.trim() || null,
    country: a.country.trim(),
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Edit an order after it was created (issue #5): customer and ship-to (only fields the role may
 * write), and its lines — added, removed, quantity changed — while the order is open. The rules are
 * the server's (server/sync/floor.ts): a shipped or cancelled order takes no edit, the lines of an
 * order that is no longer open are fixed. A line may not go below what is already picked for its
 * item (removing it counts as 0). One audit entry per call; nothing is written when nothing
 * changes or anything is refused.
 */
export async function updateOrder(ctx: FloorContext, orderId: string, patch: OrderPatch): Promise<OrderDoc> {
  mayWrite(ctx, 'orders');
  const order = await requireOrder(ctx, orderId);
  if (order.status === 'shipped' || order.status === 'cancelled')
    throw new FloorError('bad-status', `order ${order.number} is ${order.status}`, { status: order.status });

  const changes: Partial<OrderDoc> = {};
  const wanted: Partial<Record<(typeof CUSTOMER_FIELDS)[number], unknown>> = {
    customerName: patch.customerName?.trim(),
    customerPhone: patch.customerPhone === undefined ? undefined : patch.customerPhone?.trim() || null,
    customerEmail: patch.customerEmail === undefined ? undefined : patch.customerEmail?.trim() || null,
    shipTo: patch.shipTo === undefined ? undefined : normalShipTo(patch.shipTo),
  };
  for (const f of CUSTOMER_FIELDS) {
    const v = wanted[f];
    if (v === undefined || sameJson(v, order[f])) continue;
    mayWrite(ctx, 'orders', f);
    (changes as Record<string, unknown>)[f] = v;
  }

  const lines = patchLines(order.lines, 'qty', patch, {
    doc: `order ${order.number}`,
    quantity: 'a quantity',
  });
  if (!sameJson(lines, order.lines)) {
    mayWrite(ctx, 'orders', 'lines');
    if (order.status !== 'open')
      throw new FloorError('bad-status', `the lines of a ${order.status} order are fixed`, {
        status: order.status,
      });
    if (lines.length === 0)
      throw new FloorError('invalid', `an order keeps at least one line (cancel the order instead)`);
    for (const l of patch.addLines ?? []) await requireItem(ctx, l.itemId);
    // Picks count per item (orderPicked fills them into the item's lines in order).
    const picked = new Map<string, number>();
    for (const m of await readMovementsOf(ctx.db, order.id))
      if (m.type === 'pick') picked.set(m.itemId, (picked.get(m.itemId) ?? 0) + m.quantity);
    for (const [itemId, got] of picked) {
      const qty = lines.filter((l) => l.itemId === itemId).reduce((s, l) => s + l.qty, 0);
      if (qty < got) {
        const sku = (await ctx.db.items.findOne(itemId).exec())?.sku ?? itemId;
        throw new FloorError('below-picked', `${sku}: ${got} already picked, ${qty} left on the order`, {
          sku,
          picked: got,
          qty,
        });
      }
    }
    changes.lines = lines;
  }
  if (Object.keys(changes).length === 0) return order;
  parseOr<OrderDoc>(OrderDoc, { ...order, ...changes });
  return modifyAudited<OrderDoc>(ctx, ctx.db.orders, 'orders', order.id, changes);
}

async function setOrderStatus(
  ctx: FloorContext,
  order: OrderDoc,
  status: OrderStatus,
  meta: ChangeMeta = {},
): Promise<OrderDoc> {
  if (!orderTransitionAllowed(order.status, status))
    throw new FloorError('bad-status', `order ${order.number} is ${order.status}`, {
      from: order.status,
      to: status,
    });
  if (order.status === status) return order;
  return modifyAudited<OrderDoc>(ctx, ctx.db.orders, 'orders', order.id, { status }, meta);
}

/** One pick: `qty` of a batch from a bin to the staging location, for an order. */
export type PickInput = {
  orderId: string;
  itemId: string;
  batch: string | null;
  from: string;
  qty: number;
  /** Staging location; `STG-01` unless given. */
  to?: string;
};

/**
 * Pick for an order: a `pick` movement bin → staging with the order's id. Refused when the bin
 * does not hold that much of the batch, when the item is not on the order or would be over-picked,
 * and when the order is packed, shipped or cancelled. The first pick moves the order to `picking`.
 */
export async function pickLine(ctx: FloorContext, input: PickInput): Promise<MovementDoc> {
  const order = await requireOrder(ctx, input.orderId);
  if (order.status !== 'open' && order.status !== 'picking')
    throw new FloorError('bad-status', `order ${order.number} is ${order.status}`, { status: order.status });
  const ordered = order.lines.filter((l) => l.itemId === input.itemId).reduce((s, l) => s + l.qty, 0);
  if (ordered === 0)
    throw new FloorError('invalid', `the item is not on order ${order.number}`, { itemId: input.itemId });
  const picked = [...orderPicked(order, await readMovementsOf(ctx.db, order.id)).entries()]
    .filter(([lineId]) => order.lines.find((l) => l.lineId === lineId)?.itemId === input.itemId)
    .reduce((s, [, q]) => s + q, 0);
  if (picked + input.qty > ordered)
    throw new FloorError('invalid', `only ${ordered - picked} more to pick for order ${order.number}`, {
      remaining: ordered - picked,
    });
  const m = await moveStock(ctx, 'pick', {
    itemId: input.itemId,
    batch: input.batch,
    from: input.from,
    to: input.to ?? 'STG-01',
    qty: input.qty,
    refId: order.id,
  });
  // Judge the status change on the order as it is now, not as read before the pick: a pack that
  // landed in between must not be set back to picking.
  if (order.status === 'open') {
    const current = await requireOrder(ctx, order.id);
    if (current.status === 'open') await setOrderStatus(ctx, current, 'picking');
  }
  return m;
}

/** Suggested picks of one order line: first-expired-first-out from storage bins. */
export type LinePickSuggestion = {
  lineId: string;
  itemId: string;
  remaining: number;
  suggestion: FefoSuggestion;
};

/**
 * Where to pick what is still open on an order: per line, bins and batches earliest expiry first
 * (expired batches left out and reported, batches without expiry last), from storage locations.
 * Lines of one item share that item's stock, in line order.
 */
export async function suggestPicks(ctx: FloorContext, orderId: string): Promise<LinePickSuggestion[]> {
  const order = await requireOrder(ctx, orderId);
  const picked = orderPicked(order, await readMovementsOf(ctx.db, order.id));
  const locations = (await ctx.db.locations.find().exec()).map((l) => plain<LocationDoc>(l));
  const storage = new Set(locations.filter((l) => l.kind === 'storage').map((l) => l.id));
  const pickable = (id: string) => (locations.length === 0 ? true : storage.has(id));
  const taken = new Map<string, number>();
  const out: LinePickSuggestion[] = [];
  for (const line of order.lines) {
    const remaining = Math.max(0, line.qty - (picked.get(line.lineId) ?? 0));
    const rows = (await readStock(ctx.db, { itemId: line.itemId })).map((r) => {
      const key = `${r.locationId}\u0000${r.batch ?? ''}`;
      return { ...r, quantity: r.quantity - (taken.get(`${line.itemId}\u0000${key}`) ?? 0) };
    });
    const suggestion = fefoSuggest(rows, line.itemId, remaining, today(ctx), { pickable });
    for (const p of suggestion.picks) {
      const key = `${line.itemId}\u0000${p.locationId}\u0000${p.batch ?? ''}`;
      taken.set(key, (taken.get(key) ?? 0) + p.quantity);
    }
    out.push({ lineId: line.lineId, itemId: line.itemId, remaining, suggestion });
  }
  return out;
}

/**
 * Pack an order: every line picked in full, unless `allowShort` — a short shipment, decided: then
 * a confirmation (the order number retyped and a reason) is required and goes into the audit entry.
 * The shortage stays derivable from the order's lines and its pick movements.
 */
export async function packOrder(
  ctx: FloorContext,
  orderId: string,
  opts: { allowShort?: boolean; confirmation?: Confirmation } = {},
): Promise<OrderDoc> {
  mayWrite(ctx, 'orders');
  const order = await requireOrder(ctx, orderId);
  const picked = orderPicked(order, await readMovementsOf(ctx.db, order.id));
  const short = order.lines.filter((l) => (picked.get(l.lineId) ?? 0) < l.qty);
  if (short.length > 0 && opts.allowShort !== true)
    throw new FloorError('not-fully-picked', `order ${order.number} is not fully picked`, {
      lines: short.map((l) => ({
        lineId: l.lineId,
        itemId: l.itemId,
        qty: l.qty,
        picked: picked.get(l.lineId) ?? 0,
      })),
    });
  if ([...picked.values()].every((q) => q === 0))
    throw new FloorError('nothing-to-ship', `nothing is picked for order ${order.number}`);
  if (short.length === 0) return setOrderStatus(ctx, order, 'packed');
  const c = opts.confirmation;
  if (!c)
    throw new FloorError('confirmation-required', `packing ${order.number} short needs a confirmation`, {
      identifying: order.number,
    });
  if (!typedMatches(c.typed, order.number))
    throw new FloorError('confirmation-mismatch', `retype ${order.number} to pack it short`, {
      identifying: order.number,
    });
  const missing = short.reduce((sum, l) => sum + l.qty - (picked.get(l.lineId) ?? 0), 0);
  return setOrderStatus(ctx, order, 'packed', {
    reason: `packed short by ${missing}: ${c.reason}`,
    confirmation: c,
  });
}

/**
 * Ship a packed order: `ship` movements take what was picked for it (item × batch at the staging
 * location it was picked to, less anything already shipped) out of the warehouse; then the order
 * is `shipped`.
 */
export async function shipOrder(
  ctx: FloorContext,
  orderId: string,
): Promise<{ order: OrderDoc; movements: MovementDoc[] }> {
  mayWrite(ctx, 'orders');
  mayWrite(ctx, 'movements');
  const order = await requireOrder(ctx, orderId);
  if (order.status !== 'packed')
    throw new FloorError('bad-status', `order ${order.number} is ${order.status}`, { status: order.status });
  // In the order they were picked, so the shipment lists batches as they were taken.
  const own = (await readMovementsOf(ctx.db, order.id)).sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
  );
  const left = new Map<
    string,
    { itemId: string; batch: string | null; loc: string; qty: number; exp: string | null }
  >();
  const k = (itemId: string, batch: string | null, loc: string) =>
    `${itemId}\u0000${batch ?? ''}\u0000${loc}`;
  for (const m of own) {
    if (m.type === 'pick' && m.toLocationId !== null) {
      const key = k(m.itemId, m.batch, m.toLocationId);
      const cur = left.get(key) ?? {
        itemId: m.itemId,
        batch: m.batch,
        loc: m.toLocationId,
        qty: 0,
        exp: null,
      };
      cur.qty += m.quantity;
      cur.exp = cur.exp ?? m.expiresAt ?? null;
      left.set(key, cur);
    }
  }
  for (const m of own) {
    if (m.type === 'ship' && m.fromLocationId !== null) {
      const cur = left.get(k(m.itemId, m.batch, m.fromLocationId));
      if (cur) cur.qty -= m.quantity;
    }
  }
  const todo = [...left.values()].filter((x) => x.qty > 0);
  if (todo.length === 0)
    throw new FloorError('nothing-to-ship', `nothing picked is left to ship for ${order.number}`);
  const movements: MovementDoc[] = [];
  for (const x of todo) {
    const rows = await readStock(ctx.db, { itemId: x.itemId });
    const m = newMovement(ctx, {
      itemId: x.itemId,
      type: 'ship',
      quantity: x.qty,
      from: x.loc,
      to: null,
      batch: x.batch,
      expiresAt: x.exp,
      refId: order.id,
    });
    if (wouldGoNegative(rows, m))
      throw new FloorError('insufficient-stock', `staging ${x.loc} does not hold what was picked`, {
        locationId: x.loc,
        batch: x.batch,
      });
    movements.push(m);
  }
  for (const m of movements) await recordMovement(ctx.db, ctx.actor, m);
  return { order: await setOrderStatus(ctx, order, 'shipped'), movements };
}

/**
 * Cancel an order (destructive, I5): the confirmation retypes the order number and gives a reason.
 * Stock already picked stays at staging and shows there; put it back with `transfer`.
 */
export async function cancelOrder(
  ctx: FloorContext,
  orderId: string,
  confirmation: Confirmation,
): Promise<OrderDoc> {
  mayWrite(ctx, 'orders');
  const order = await requireOrder(ctx, orderId);
  const verdict = judgeChange({
    entity: 'orders',
    before: order,
    after: { ...order, status: 'cancelled' },
    skuOf: () => null,
  });
  if (verdict.destructive && !typedMatches(confirmation.typed, verdict.identifying))
    throw new FloorError('confirmation-mismatch', `retype ${order.number} to cancel it`, {
      identifying: order.number,
    });
  return setOrderStatus(ctx, order, 'cancelled', { reason: confirmation.reason, confirmation });
}

// ---------------------------------------------------------------------------------------------
// Cycle counts
// ---------------------------------------------------------------------------------------------

/** A counted quantity at the counted bin (or, counting an item, at one of its bins). */
export type CountInput = { itemId: string; batch: string | null; quantity: number; locationId?: string };

/** A difference about to be posted: the adjustment's id, what to retype, whether to co-sign. */
export type PendingAdjustment = CountDifference & { movementId: string; identifying: string; sku: string };

/**
 * The differences a count would post, without writing anything (for the review step).
 */
export async function planCount(
  ctx: FloorContext,
  scope: { locationId: string } | { itemId: string },
  counted: readonly CountInput[],
): Promise<PendingAdjustment[]> {
  const expected = await readStock(ctx.db, scope);
  const lines = counted.map((c) => ({
    itemId: 'itemId' in scope ? scope.itemId : c.itemId,
    locationId: 'locationId' in scope ? scope.locationId : (c.locationId ?? ''),
    batch: c.batch === null || c.batch.trim() === '' ? null : c.batch.trim(),
    quantity: c.quantity,
  }));
  const bad = lines.find((l) => l.locationId === '' || !(l.quantity >= 0));
  if (bad)
    throw new FloorError('invalid', 'each counted line needs a location and a quantity ≥ 0', { line: bad });
  const diffs = countDifferences(expected, lines, ctx.settings.cosignAboveQuantity);
  const skus = new Map<string, string>();
  for (const d of diffs) if (!skus.has(d.itemId)) skus.set(d.itemId, (await requireItem(ctx, d.itemId)).sku);
  return diffs.map((d) => {
    const sku = skus.get(d.itemId) ?? '';
    return { ...d, movementId: crypto.randomUUID(), sku, identifying: d.batch ?? sku };
  });
}

/**
 * Post a cycle count of a bin (or of an item): each difference becomes an `adjustment` movement
 * (stock in without a source, out without a destination), each a destructive change confirmed by
 * retyping its batch or SKU with a reason — `confirm` asks for it, and for a co-sign when the
 * difference is above the tenant's threshold. Returns the movements written; a difference whose
 * confirmation is refused (null) stops the count before anything more is written.
 */
export async function countLocation(
  ctx: FloorContext,
  locationId: string,
  counted: readonly CountInput[],
  confirm: (d: PendingAdjustment) => Promise<Confirmation | null>,
): Promise<MovementDoc[]> {
  return postCount(ctx, { locationId }, counted, confirm);
}

/** Post a cycle count of one item across its bins (see `countLocation`). */
export async function countItem(
  ctx: FloorContext,
  itemId: string,
  counted: readonly CountInput[],
  confirm: (d: PendingAdjustment) => Promise<Confirmation | null>,
): Promise<MovementDoc[]> {
  return postCount(ctx, { itemId }, counted, confirm);
}

async function postCount(
  ctx: FloorContext,
  scope: { locationId: string } | { itemId: string },
  counted: readonly CountInput[],
  confirm: (d: PendingAdjustment) => Promise<Confirmation | null>,
): Promise<MovementDoc[]> {
  mayWrite(ctx, 'movements');
  if ('locationId' in scope) await checkLocation(ctx, scope.locationId);
  const plan = await planCount(ctx, scope, counted);
  const rows = await readStock(ctx.db, scope);
  // Every difference is confirmed first; only then is anything written (a refused or mismatched
  // confirmation leaves the ledger untouched).
  const confirmed: { d: PendingAdjustment; confirmation: Confirmation }[] = [];
  for (const d of plan) {
    const confirmation = await confirm(d);
    if (!confirmation)
      throw new FloorError(
        'confirmation-required',
        `the difference of ${d.sku} at ${d.locationId} needs a confirmation`,
        { itemId: d.itemId, locationId: d.locationId, batch: d.batch },
      );
    if (!typedMatches(confirmation.typed, d.identifying))
      throw new FloorError('confirmation-mismatch', `retype ${d.identifying}`, {
        identifying: d.identifying,
      });
    if (d.needsCosign && !confirmation.cosign)
      throw new FloorError(
        'cosign-required',
        `a difference of ${Math.abs(d.diff)} needs a second person's co-sign`,
        { quantity: Math.abs(d.diff), threshold: ctx.settings.cosignAboveQuantity },
      );
    confirmed.push({ d, confirmation });
  }
  const written: MovementDoc[] = [];
  for (const { d, confirmation } of confirmed) {
    const m = {
      ...newMovement(ctx, {
        itemId: d.itemId,
        type: 'adjustment',
        quantity: d.adjustment.quantity,
        from: d.adjustment.fromLocationId,
        to: d.adjustment.toLocationId,
        batch: d.batch,
        expiresAt: batchExpiry(rows, d.itemId, d.batch),
        note: `count: expected ${d.expected}, counted ${d.counted}`,
      }),
      id: d.movementId,
    };
    await recordMovement(ctx.db, ctx.actor, m, { reason: confirmation.reason, confirmation });
    written.push(m);
  }
  return written;
}

// ---------------------------------------------------------------------------------------------
// Live reads (hooks)
// ---------------------------------------------------------------------------------------------

/** Subscribe to an observable built from the open partition; null while loading or closed. */
function useLive<T>(build: (db: TenantDatabase) => Observable<T>, key: string): T | null {
  const db = useWorkspace((s) => s.db);
  const [state, setState] = useState<{ db: TenantDatabase; key: string; value: T } | null>(null);
  useEffect(() => {
    if (!db) return;
    const sub = build(db).subscribe((value) => setState({ db, key, value }));
    return () => sub.unsubscribe();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` identifies what `build` reads
  }, [db, key]);
  return state && state.db === db && state.key === key ? state.value : null;
}

const acks$ = () =>
  new Observable<ReadonlyMap<string, number>>((sub) => {
    sub.next(useAcks.getState().seqs);
    return useAcks.subscribe((s) => sub.next(s.seqs));
  });

/** Locations (site-wide reference data), by code. */
export function useLocations(): LocationDoc[] | null {
  return useLive(
    (db) =>
      db.locations
        .find({ sort: [{ id: 'asc' }] })
        .$.pipe(map((docs) => docs.map((d) => plain<LocationDoc>(d)))),
    'locations',
  );
}

/** Receipts of the open tenant, newest expected first (optionally only some statuses). */
export function useReceipts(statuses?: readonly ReceiptStatus[]): ReceiptDoc[] | null {
  const key = statuses ? [...statuses].sort().join(',') : '*';
  return useLive(
    (db) =>
      db.receipts
        .find(statuses ? { selector: { status: { $in: [...statuses] } } } : {})
        .$.pipe(
          map((docs) =>
            docs
              .map((d) => plain<ReceiptDoc>(d))
              .sort(
                (a, b) =>
                  (b.expectedAt ?? '').localeCompare(a.expectedAt ?? '') ||
                  a.reference.localeCompare(b.reference),
              ),
          ),
        ),
    `receipts:${key}`,
  );
}

/** Orders of the open tenant by number (optionally only some statuses). */
export function useOrders(statuses?: readonly OrderStatus[]): OrderDoc[] | null {
  const key = statuses ? [...statuses].sort().join(',') : '*';
  return useLive(
    (db) =>
      db.orders
        .find(statuses ? { selector: { status: { $in: [...statuses] } } } : {})
        .$.pipe(
          map((docs) => docs.map((d) => plain<OrderDoc>(d)).sort((a, b) => a.number.localeCompare(b.number))),
        ),
    `orders:${key}`,
  );
}

/** Movements of a receipt or an order (by `refId`), live. */
export function useMovementsOf(refId: string | null): MovementDoc[] | null {
  return useLive(
    (db) =>
      db.movements
        .find({ selector: { refId: refId ?? '' } })
        .$.pipe(map((docs) => docs.map((d) => d.toJSON() as MovementDoc))),
    `ref:${refId ?? ''}`,
  );
}

/** `readStock`, live: read again (at most every 50 ms) whenever balances, movements or acks change. */
function stock$(db: TenantDatabase, sel: { itemId?: string; locationId?: string }): Observable<StockRow[]> {
  if (sel.itemId === '' || sel.locationId === '') return of([]);
  return merge(db.balances.$, db.movements.$, acks$()).pipe(
    auditTime(50),
    startWith(null),
    switchMap(() => from(readStock(db, sel))),
  );
}

/**
 * On-hand of one item per location × batch (with expiry), live: the server's balances plus this
 * PC's movements they do not reflect yet, so it is right offline.
 */
export function useBalancesByItem(itemId: string | null): StockRow[] | null {
  return useLive((db) => stock$(db, itemId ? { itemId } : { itemId: '' }), `item:${itemId ?? ''}`);
}

/** On-hand at one location per item × batch (with expiry), live (see `useBalancesByItem`). */
export function useBalancesByLocation(locationId: string | null): StockRow[] | null {
  return useLive(
    (db) => stock$(db, locationId ? { locationId } : { locationId: '' }),
    `location:${locationId ?? ''}`,
  );
}
