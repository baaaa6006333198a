import { z } from 'zod';
import { DocId, IsoDate, TenantId, type BalanceDoc, type ItemDoc, type MovementDoc } from './schemas.js';
import { onHandByLocation } from './stock.js';

/*
 * Floor workflows (issue #5): reference data (warehouses, locations), inbound receipts (ASN),
 * outbound orders, and the pure rules the screens, the local data API and the server share.
 * Nothing here reads a clock: "today" is always a parameter.
 */

const isoTime = z.iso.datetime({ offset: true });

// ---------------------------------------------------------------------------------------------
// Reference data (site-wide, not tenant-scoped)
// ---------------------------------------------------------------------------------------------

/** A location code such as `A-01-02`, `RCV-01`: upper-case letters, digits and dashes. */
export const LocationCode = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Z0-9][A-Z0-9-]*$/, 'location code: upper-case letters, digits and dashes');

/** What a location is used for. */
export const LocationKind = z.enum(['receiving', 'storage', 'staging', 'shipping']);
export type LocationKind = z.infer<typeof LocationKind>;

/** A warehouse of the site. */
export const WarehouseDoc = z
  .object({ id: z.string().min(1).max(64), name: z.string().min(1).max(200) })
  .strict();
export type WarehouseDoc = z.infer<typeof WarehouseDoc>;

/** A location/bin: site-wide reference data shared by every tenant stored in the warehouse. */
export const LocationDoc = z
  .object({
    id: LocationCode,
    warehouseId: z.string().min(1).max(64),
    name: z.string().min(1).max(200),
    barcode: z.string().min(1).max(64),
    kind: LocationKind,
    /** Site-wide change sequence (for pulling reference data); absent when written by hand. */
    seq: z.number().int().nonnegative().optional(),
    /** A location taken out of use. */
    _deleted: z.boolean().optional(),
  })
  .strict();
export type LocationDoc = z.infer<typeof LocationDoc>;

// ---------------------------------------------------------------------------------------------
// Receipts (inbound notices / ASN)
// ---------------------------------------------------------------------------------------------

/** Life cycle of a receipt. */
export const ReceiptStatus = z.enum(['open', 'receiving', 'closed', 'cancelled']);
export type ReceiptStatus = z.infer<typeof ReceiptStatus>;

/** One expected line of an inbound notice. */
export const ReceiptLine = z
  .object({ lineId: z.string().min(1).max(64), itemId: DocId, expectedQty: z.number().positive().max(1e9) })
  .strict();
export type ReceiptLine = z.infer<typeof ReceiptLine>;

/** An inbound notice (ASN); a blind receipt has no expected lines. */
export const ReceiptDoc = z
  .object({
    id: DocId,
    tenantId: TenantId,
    reference: z.string().min(1).max(64),
    supplier: z.string().max(200).nullable(),
    /** Expected arrival day (null: unknown). */
    expectedAt: IsoDate.nullable(),
    status: ReceiptStatus,
    lines: z.array(ReceiptLine).max(500),
    updatedAt: isoTime,
    seq: z.number().int().nonnegative(),
    _deleted: z.boolean().optional(),
  })
  .strict()
  .refine((r) => new Set(r.lines.map((l) => l.lineId)).size === r.lines.length, {
    message: 'line ids must be unique',
    path: ['lines'],
  });
export type ReceiptDoc = z.infer<typeof ReceiptDoc>;

// ---------------------------------------------------------------------------------------------
// Orders (outbound)
// ---------------------------------------------------------------------------------------------

/** Life cycle of an outbound order. */
export const OrderStatus = z.enum(['open', 'picking', 'packed', 'shipped', 'cancelled']);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Ship-to address. */
export const ShipTo = z
  .object({
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).nullable(),
    city: z.string().min(1).max(100),
    postalCode: z.string().max(20).nullable(),
    country: z.string().min(2).max(56),
  })
  .strict();
export type ShipTo = z.infer<typeof ShipTo>;

/** One line of an order. */
export const OrderLine = z
  .object({ lineId: z.string().min(1).max(64), itemId: DocId, qty: z.number().positive().max(1e9) })
  .strict();
export type OrderLine = z.infer<typeof OrderLine>;

/**
 * An outbound order. Customer fields are governed by the field policy: absent for roles that may
 * not read them, the mask for roles that see only a placeholder (so they are optional here).
 */
export const OrderDoc = z
  .object({
    id: DocId,
    tenantId: TenantId,
    number: z.string().min(1).max(64),
    customerName: z.string().min(1).max(200).optional(),
    customerPhone: z.string().max(64).nullable().optional(),
    customerEmail: z.string().max(254).nullable().optional(),
    shipTo: ShipTo.nullable().optional(),
    status: OrderStatus,
    lines: z.array(OrderLine).min(1).max(500),
    updatedAt: isoTime,
    seq: z.number().int().nonnegative(),
    _deleted: z.boolean().optional(),
  })
  .strict()
  .refine((o) => new Set(o.lines.map((l) => l.lineId)).size === o.lines.length, {
    message: 'line ids must be unique',
    path: ['lines'],
  });
export type OrderDoc = z.infer<typeof OrderDoc>;

/** Status changes an order may make (anything else is refused). */
const ORDER_NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  open: ['picking', 'packed', 'cancelled'],
  picking: ['packed', 'cancelled'],
  packed: ['shipped', 'picking', 'cancelled'],
  shipped: [],
  cancelled: [],
};

/** May an order go from `from` to `to`? (Staying put is always allowed.) */
export function orderTransitionAllowed(from: OrderStatus, to: OrderStatus): boolean {
  return from === to || ORDER_NEXT[from].includes(to);
}

const RECEIPT_NEXT: Record<ReceiptStatus, readonly ReceiptStatus[]> = {
  open: ['receiving', 'closed', 'cancelled'],
  receiving: ['closed', 'cancelled'],
  closed: ['receiving'],
  cancelled: [],
};

/** May a receipt go from `from` to `to`? (A closed receipt may be reopened to receive more.) */
export function receiptTransitionAllowed(from: ReceiptStatus, to: ReceiptStatus): boolean {
  return from === to || RECEIPT_NEXT[from].includes(to);
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/** The calendar day of an ISO date or timestamp (its first ten characters). */
function day(s: string): string {
  return s.slice(0, 10);
}

/** `today` plus `days` calendar days (UTC arithmetic on the date itself). */
export function addDays(today: string, days: number): string {
  const [y, m, d] = day(today).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Whole days from `today` to `date` (negative when it lies in the past). */
export function daysBetween(today: string, date: string): number {
  return Math.round((Date.parse(day(date)) - Date.parse(day(today))) / 86_400_000);
}

/** A batch is expired once its expiry day lies before today (it can still go out on that day). */
export function isExpired(expiresAt: string | null | undefined, today: string): boolean {
  return expiresAt !== null && expiresAt !== undefined && day(expiresAt) < day(today);
}

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

type ReceiptMovement = Pick<
  MovementDoc,
  'id' | 'itemId' | 'type' | 'quantity' | 'fromLocationId' | 'toLocationId'
> & { refId?: string | null; reversalOf?: string | null };

/** Progress of one expected line. */
export type ReceiptLineProgress = {
  lineId: string;
  itemId: string;
  expected: number;
  received: number;
  over: number;
  short: number;
  state: 'pending' | 'partial' | 'complete' | 'over';
};

/** Progress of a receipt against its notice. */
export type ReceiptProgress = {
  lines: ReceiptLineProgress[];
  /** Items received that no line expected (all of a blind receipt's items). */
  unexpected: { itemId: string; received: number }[];
  expectedTotal: number;
  receivedTotal: number;
  /** Every line received in full (nothing short); over-receipts still count as complete. */
  complete: boolean;
  anyOver: boolean;
  anyShort: boolean;
};

/**
 * What has been received against a receipt: its `receipt` movements (by `refId`) minus their
 * reversals. Received quantities fill the lines of an item in order; anything beyond the last
 * line of that item is over-received, and items no line names are unexpected.
 */
export function receiptProgress(
  receipt: Pick<ReceiptDoc, 'id' | 'lines'>,
  movements: readonly ReceiptMovement[],
): ReceiptProgress {
  const own = movements.filter((m) => m.type === 'receipt' && m.refId === receipt.id);
  const ownIds = new Set(own.map((m) => m.id));
  const reversals = movements.filter((m) => m.reversalOf != null && ownIds.has(m.reversalOf));
  const byItem = new Map<string, number>();
  const add = (itemId: string, q: number) => byItem.set(itemId, (byItem.get(itemId) ?? 0) + q);
  for (const m of own) add(m.itemId, m.quantity);
  for (const r of reversals) add(r.itemId, r.toLocationId === null ? -r.quantity : r.quantity);

  const remaining = new Map(byItem);
  const lastLineOf = new Map<string, string>();
  for (const l of receipt.lines) lastLineOf.set(l.itemId, l.lineId);
  const lines: ReceiptLineProgress[] = receipt.lines.map((l) => {
    const left = Math.max(0, remaining.get(l.itemId) ?? 0);
    const isLast = lastLineOf.get(l.itemId) === l.lineId;
    const received = isLast ? left : Math.min(left, l.expectedQty);
    remaining.set(l.itemId, left - received);
    const over = Math.max(0, received - l.expectedQty);
    const short = Math.max(0, l.expectedQty - received);
    const state: ReceiptLineProgress['state'] =
      received === 0 ? 'pending' : over > 0 ? 'over' : short > 0 ? 'partial' : 'complete';
    return { lineId: l.lineId, itemId: l.itemId, expected: l.expectedQty, received, over, short, state };
  });
  const unexpected = [...byItem.entries()]
    .filter(([itemId, q]) => !lastLineOf.has(itemId) && q > 0)
    .map(([itemId, received]) => ({ itemId, received }));
  const expectedTotal = lines.reduce((s, l) => s + l.expected, 0);
  const receivedTotal =
    lines.reduce((s, l) => s + l.received, 0) + unexpected.reduce((s, u) => s + u.received, 0);
  return {
    lines,
    unexpected,
    expectedTotal,
    receivedTotal,
    complete: lines.every((l) => l.short === 0),
    anyOver: lines.some((l) => l.over > 0) || unexpected.length > 0,
    anyShort: lines.some((l) => l.short > 0),
  };
}

/** What a receipt line must capture for an item: batch and/or expiry (from the item's flags). */
export function captureProblems(
  item: Pick<ItemDoc, 'batchTracked' | 'expiryTracked'>,
  input: { batch: string | null; expiresAt: string | null },
): ('batch-required' | 'expiry-required')[] {
  const out: ('batch-required' | 'expiry-required')[] = [];
  if (item.batchTracked === true && (input.batch === null || input.batch.trim() === ''))
    out.push('batch-required');
  if (item.expiryTracked === true && (input.expiresAt === null || input.expiresAt === ''))
    out.push('expiry-required');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stock rows, FEFO, shortages
// ---------------------------------------------------------------------------------------------

/** One stock row: an item at a location in a batch (server balance or on-hand incl. pending). */
export type StockRow = Pick<BalanceDoc, 'itemId' | 'locationId' | 'batch' | 'quantity'> & {
  expiresAt?: string | null;
};

/** A suggested pick: take `quantity` of `batch` from `locationId`. */
export type PickSuggestion = {
  locationId: string;
  batch: string | null;
  expiresAt: string | null;
  quantity: number;
};

/** First-expired-first-out suggestion for one item. */
export type FefoSuggestion = {
  picks: PickSuggestion[];
  /** Quantity the usable stock cannot cover (0 when fully covered). */
  shortBy: number;
  /** Expired batches that were left out (they must not be picked). */
  expired: PickSuggestion[];
};

/** Options of `fefoSuggest`/`orderShortages`: which locations stock may be picked from. */
export type PickOptions = {
  /** Only stock at these locations counts (e.g. storage bins); all when absent. */
  pickable?: (locationId: string) => boolean;
};

/**
 * Which bins and batches to pick `qty` of an item from: earliest expiry first, batches without an
 * expiry last, expired batches excluded (and reported). Ties go to the location code, then batch.
 */
export function fefoSuggest(
  balances: readonly StockRow[],
  itemId: string,
  qty: number,
  today: string,
  opts: PickOptions = {},
): FefoSuggestion {
  const rows = balances.filter(
    (b) => b.itemId === itemId && b.quantity > 0 && (opts.pickable?.(b.locationId) ?? true),
  );
  const expired: PickSuggestion[] = [];
  const usable: PickSuggestion[] = [];
  for (const b of rows) {
    const p = {
      locationId: b.locationId,
      batch: b.batch,
      expiresAt: b.expiresAt ?? null,
      quantity: b.quantity,
    };
    (isExpired(p.expiresAt, today) ? expired : usable).push(p);
  }
  usable.sort((a, b) => {
    if (a.expiresAt !== b.expiresAt) {
      if (a.expiresAt === null) return 1;
      if (b.expiresAt === null) return -1;
      return day(a.expiresAt) < day(b.expiresAt) ? -1 : 1;
    }
    return a.locationId.localeCompare(b.locationId) || (a.batch ?? '').localeCompare(b.batch ?? '');
  });
  const picks: PickSuggestion[] = [];
  let left = qty;
  for (const u of usable) {
    if (left <= 0) break;
    const take = Math.min(left, u.quantity);
    picks.push({ ...u, quantity: take });
    left -= take;
  }
  return { picks, shortBy: Math.max(0, left), expired };
}

/** A line of an order that cannot be picked in full. */
export type Shortage = { lineId: string; itemId: string; ordered: number; available: number; short: number };

/**
 * Lines of an order the stock cannot cover: usable stock (not expired when `today` is given, at
 * pickable locations) is allotted to the order's lines in order, after what each line already
 * has picked (`picked`, by line id).
 */
export function orderShortages(
  order: Pick<OrderDoc, 'lines'>,
  balances: readonly StockRow[],
  opts: PickOptions & { today?: string; picked?: ReadonlyMap<string, number> } = {},
): Shortage[] {
  const free = new Map<string, number>();
  for (const b of balances) {
    if (b.quantity <= 0) continue;
    if (!(opts.pickable?.(b.locationId) ?? true)) continue;
    if (opts.today !== undefined && isExpired(b.expiresAt, opts.today)) continue;
    free.set(b.itemId, (free.get(b.itemId) ?? 0) + b.quantity);
  }
  const out: Shortage[] = [];
  for (const l of order.lines) {
    const need = Math.max(0, l.qty - (opts.picked?.get(l.lineId) ?? 0));
    const have = free.get(l.itemId) ?? 0;
    const take = Math.min(need, have);
    free.set(l.itemId, have - take);
    if (take < need)
      out.push({ lineId: l.lineId, itemId: l.itemId, ordered: l.qty, available: take, short: need - take });
  }
  return out;
}

/**
 * Quantity picked per order line: the order's `pick` movements (by `refId`), filled into the
 * lines of each item in order.
 */
export function orderPicked(
  order: Pick<OrderDoc, 'id' | 'lines'>,
  movements: readonly (Pick<MovementDoc, 'itemId' | 'type' | 'quantity'> & { refId?: string | null })[],
): Map<string, number> {
  const byItem = new Map<string, number>();
  for (const m of movements) {
    if (m.type !== 'pick' || m.refId !== order.id) continue;
    byItem.set(m.itemId, (byItem.get(m.itemId) ?? 0) + m.quantity);
  }
  const out = new Map<string, number>();
  const lastLineOf = new Map(order.lines.map((l) => [l.itemId, l.lineId]));
  for (const l of order.lines) {
    const left = byItem.get(l.itemId) ?? 0;
    const got = lastLineOf.get(l.itemId) === l.lineId ? left : Math.min(left, l.qty);
    byItem.set(l.itemId, left - got);
    out.set(l.lineId, got);
  }
  return out;
}

/**
 * Stock of (item, location, batch) before the movement, and whether the movement would take it
 * below zero. A movement without a source adds stock and never goes negative.
 */
export function wouldGoNegative(
  balances: readonly StockRow[],
  movement: Pick<MovementDoc, 'itemId' | 'quantity' | 'fromLocationId' | 'batch'>,
): boolean {
  if (movement.fromLocationId === null) return false;
  return availableAt(balances, movement.itemId, movement.fromLocationId, movement.batch) < movement.quantity;
}

/** Stock of one item × location × batch (batch null = the rows without a batch). */
export function availableAt(
  balances: readonly StockRow[],
  itemId: string,
  locationId: string,
  batch: string | null,
): number {
  let q = 0;
  for (const b of balances) {
    if (b.itemId === itemId && b.locationId === locationId && (b.batch ?? null) === (batch ?? null))
      q += b.quantity;
  }
  return q;
}

// ---------------------------------------------------------------------------------------------
// Cycle counts
// ---------------------------------------------------------------------------------------------

/** A counted quantity of an item at a location in a batch. */
export type CountedLine = { itemId: string; locationId: string; batch: string | null; quantity: number };

/** One difference a count found, the adjustment it needs and whether that needs a co-sign. */
export type CountDifference = {
  itemId: string;
  locationId: string;
  batch: string | null;
  expected: number;
  counted: number;
  /** counted − expected */
  diff: number;
  /** The adjustment movement's direction and (positive) quantity. */
  adjustment: { quantity: number; fromLocationId: string | null; toLocationId: string | null };
  needsCosign: boolean;
};

/**
 * Differences between the expected stock (of a bin or an item) and what was counted. Rows that
 * were expected but not counted count as zero (the whole bin or item was counted). Each
 * difference becomes an adjustment: stock in without a source, or out without a destination; it
 * needs a co-sign when its size is above the tenant's `cosignAboveQuantity` (null: never).
 */
export function countDifferences(
  expected: readonly StockRow[],
  counted: readonly CountedLine[],
  cosignAboveQuantity: number | null,
): CountDifference[] {
  const key = (r: { itemId: string; locationId: string; batch: string | null }) =>
    `${r.itemId}\u0000${r.locationId}\u0000${r.batch ?? ''}`;
  const rows = new Map<
    string,
    { itemId: string; locationId: string; batch: string | null; e: number; c: number }
  >();
  for (const r of expected) {
    const k = key(r);
    const cur = rows.get(k) ?? {
      itemId: r.itemId,
      locationId: r.locationId,
      batch: r.batch ?? null,
      e: 0,
      c: 0,
    };
    cur.e += r.quantity;
    rows.set(k, cur);
  }
  for (const r of counted) {
    const k = key(r);
    const cur = rows.get(k) ?? {
      itemId: r.itemId,
      locationId: r.locationId,
      batch: r.batch ?? null,
      e: 0,
      c: 0,
    };
    cur.c += r.quantity;
    rows.set(k, cur);
  }
  const out: CountDifference[] = [];
  for (const r of rows.values()) {
    const diff = r.c - r.e;
    if (diff === 0) continue;
    const quantity = Math.abs(diff);
    out.push({
      itemId: r.itemId,
      locationId: r.locationId,
      batch: r.batch,
      expected: r.e,
      counted: r.c,
      diff,
      adjustment:
        diff > 0
          ? { quantity, fromLocationId: null, toLocationId: r.locationId }
          : { quantity, fromLocationId: r.locationId, toLocationId: null },
      needsCosign: cosignAboveQuantity !== null && quantity > cosignAboveQuantity,
    });
  }
  return out.sort(
    (a, b) =>
      a.locationId.localeCompare(b.locationId) ||
      a.itemId.localeCompare(b.itemId) ||
      (a.batch ?? '').localeCompare(b.batch ?? ''),
  );
}

// ---------------------------------------------------------------------------------------------
// Low stock and expiry
// ---------------------------------------------------------------------------------------------

/** An item below its low-stock threshold. */
export type LowStock = { itemId: string; sku: string; name: string; onHand: number; minStock: number };

/**
 * Items whose on-hand is below their `minStock` (items without a threshold never are). `onHand`
 * maps item id to a quantity or to `onHandByItem`'s `{quantity}`; a missing item has zero.
 */
export function lowStock(
  items: readonly Pick<ItemDoc, 'id' | 'sku' | 'name' | 'minStock'>[],
  onHand: ReadonlyMap<string, number | { quantity: number }>,
): LowStock[] {
  const out: LowStock[] = [];
  for (const i of items) {
    if (i.minStock === null || i.minStock === undefined) continue;
    const v = onHand.get(i.id);
    const q = v === undefined ? 0 : typeof v === 'number' ? v : v.quantity;
    if (q < i.minStock) out.push({ itemId: i.id, sku: i.sku, name: i.name, onHand: q, minStock: i.minStock });
  }
  return out.sort((a, b) => a.onHand - a.minStock - (b.onHand - b.minStock) || a.sku.localeCompare(b.sku));
}

/** A batch that expires within the window, or already has. */
export type Expiring = StockRow & { expiresAt: string; daysLeft: number; expired: boolean };

/**
 * Stock rows (quantity > 0) whose expiry falls within `days` days from `today`, expired ones
 * included and flagged; soonest first.
 */
export function expiringSoon(balances: readonly StockRow[], today: string, days: number): Expiring[] {
  const limit = addDays(today, days);
  const out: Expiring[] = [];
  for (const b of balances) {
    if (b.quantity <= 0 || b.expiresAt === null || b.expiresAt === undefined) continue;
    if (day(b.expiresAt) > limit) continue;
    out.push({
      ...b,
      expiresAt: b.expiresAt,
      daysLeft: daysBetween(today, b.expiresAt),
      expired: isExpired(b.expiresAt, today),
    });
  }
  return out.sort((a, b) => a.daysLeft - b.daysLeft || a.locationId.localeCompare(b.locationId));
}

// ---------------------------------------------------------------------------------------------
// CSV import of items
// ---------------------------------------------------------------------------------------------

/** Columns of the item CSV; `sku`, `name` and `uom` are required. */
export const ITEM_CSV_COLUMNS = [
  'sku',
  'name',
  'uom',
  'barcode',
  'barcodes',
  'lengthCm',
  'widthCm',
  'heightCm',
  'weightKg',
  'batchTracked',
  'expiryTracked',
  'minStock',
  'purchasePrice',
] as const;
export const ITEM_CSV_REQUIRED = ['sku', 'name', 'uom'] as const;

/** One item as imported (the local data API adds id, tenant, time and sequence). */
export const ItemImportRow = z
  .object({
    sku: z.string().trim().min(1).max(64),
    name: z.string().trim().min(1).max(200),
    uom: z.string().trim().min(1).max(16),
    barcode: z.string().trim().min(1).max(64).nullable(),
    barcodes: z.array(z.string().min(1).max(64)).max(20),
    lengthCm: z.number().nonnegative().max(1e6).nullable(),
    widthCm: z.number().nonnegative().max(1e6).nullable(),
    heightCm: z.number().nonnegative().max(1e6).nullable(),
    weightKg: z.number().nonnegative().max(1e6).nullable(),
    batchTracked: z.boolean(),
    expiryTracked: z.boolean(),
    minStock: z.number().nonnegative().max(1e9).nullable(),
    purchasePrice: z.number().nonnegative().nullable(),
  })
  .strict();
export type ItemImportRow = z.infer<typeof ItemImportRow>;

/**
 * What is wrong with a whole file, its header or a cell, for the screen to say in the user's
 * language (`floor.import.problem.<code>` with `params`); `message` says it in English.
 */
export type CsvProblem =
  | 'tooLarge'
  | 'tooManyRows'
  | 'binary'
  | 'utf16'
  | 'notUtf8'
  | 'empty'
  | 'noItems'
  | 'wrongSeparator'
  | 'tooManyColumns'
  | 'unknownColumn'
  | 'duplicateColumn'
  | 'missingColumn'
  | 'tooManyCells'
  | 'longCell'
  | 'formula'
  | 'tooManyErrors';

/**
 * A problem with one cell or row; `row` is the line in the file (the header is row 1; 0 is the
 * file as a whole). `code` and `params` are set for problems the screen translates.
 */
export type CsvError = {
  row: number;
  field: string;
  message: string;
  code?: CsvProblem;
  params?: Record<string, string | number>;
};

/** Largest item file the import reads (checked before reading it). */
export const CSV_MAX_BYTES = 20 * 1024 * 1024;
/** Most item rows one file may hold. */
export const CSV_MAX_ROWS = 200_000;
/** Longest cell: far above every item field's limit, small enough that no message carries megabytes. */
export const CSV_MAX_CELL = 10_000;
/** Most columns a header may have (twice the known ones: a header beyond that is not an item file). */
const CSV_MAX_COLUMNS = 26;
/** The check stops after this many errors (the file must be fixed anyway; the list stays readable). */
export const CSV_MAX_ERRORS = 1000;

const problem = (
  row: number,
  field: string,
  code: CsvProblem,
  message: string,
  params?: Record<string, string | number>,
): CsvError => ({ row, field, message, code, ...(params ? { params } : {}) });

/** Text shown inside a message, cut short (a cell may be 10,000 characters). */
const quoteShort = (v: string): string => (v.length > 40 ? `${v.slice(0, 40)}…` : v);

/** The file-level refusal of a file too large to read, or null. */
export function csvFileTooLarge(size: number): CsvError | null {
  if (size <= CSV_MAX_BYTES) return null;
  const mb = CSV_MAX_BYTES / (1024 * 1024);
  return problem(0, '', 'tooLarge', `the file is larger than ${mb} MB; split it into smaller files`, {
    limitMb: mb,
  });
}

/** The platform's decoder (browsers, Node): declared here, `shared` is compiled without DOM types. */
declare const TextDecoder: new (
  label: string,
  options: { fatal: boolean },
) => { decode(bytes: Uint8Array): string };

/** Does `bytes` look like UTF-16 without a byte order mark (every other byte NUL)? */
function looksUtf16(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 1024) & ~1;
  if (n < 4) return false;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const half = n / 2;
  return (odd > half * 0.3 && even === 0) || (even > half * 0.3 && odd === 0);
}

/**
 * The text of an item file: UTF-8 (with or without a BOM). UTF-16, binary content (NUL or other
 * control bytes: an image, a spreadsheet saved as .xlsx) and bytes that are not UTF-8 (a legacy
 * code page) are refused with a file-level error instead of being read as garbage.
 */
export function decodeCsv(bytes: Uint8Array): { text: string } | { error: CsvError } {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff) || looksUtf16(bytes))
    return {
      error: problem(0, '', 'utf16', 'the file is UTF-16 text; save it as CSV UTF-8 and choose it again'),
    };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    // Tab, line feed, vertical tab, form feed and carriage return are text; other C0 bytes are not.
    if (c < 0x20 && (c < 0x09 || c > 0x0d))
      return {
        error: problem(
          0,
          '',
          'binary',
          'the file is not a text file (it holds binary data); choose a CSV file',
        ),
      };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return {
      error: problem(
        0,
        '',
        'notUtf8',
        'the file is not UTF-8 text; save it as CSV UTF-8 and choose it again',
      ),
    };
  }
}

/** Read, decode and check an item file (see `decodeCsv` and `parseItemsCsv`). */
export function parseItemsCsvFile(
  bytes: Uint8Array,
  existing: { skus?: Iterable<string>; barcodes?: Iterable<string> } = {},
): ItemsCsvParse {
  const tooLarge = csvFileTooLarge(bytes.length);
  if (tooLarge) return { rows: [], errors: [tooLarge] };
  const decoded = decodeCsv(bytes);
  if ('error' in decoded) return { rows: [], errors: [decoded.error] };
  return parseItemsCsv(decoded.text, existing);
}

/** Leading characters that make a spreadsheet run a cell as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@]/;
/** The text columns checked for formulas (numbers and yes/no columns are parsed, never kept as text). */
const TEXT_COLUMNS = ['sku', 'name', 'uom', 'barcode', 'barcodes'] as const;

/** The parse of an item CSV: rows to preview and the errors; import only when `errors` is empty. */
export type ItemsCsvParse = { rows: ItemImportRow[]; errors: CsvError[] };

/** Split CSV text into records (RFC 4180: quoted fields, doubled quotes, CRLF/LF, BOM). */
export function parseCsv(text: string): string[][] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: string[][] = [];
  let rec: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      rec.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      rec.push(field);
      records.push(rec);
      rec = [];
      field = '';
      if (c === '\r' && s[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || rec.length > 0) {
    rec.push(field);
    records.push(rec);
  }
  return records;
}

const TRUE = new Set(['true', 'yes', 'y', '1', 'x']);
const FALSE = new Set(['false', 'no', 'n', '0', '']);

/**
 * Parse and validate an item CSV. Every row is checked with zod; required columns must exist;
 * SKUs (case-insensitive) and barcodes must be unique within the file and, when given, against
 * `existing` items. Unknown columns are errors too (a typo must not drop data silently).
 */
export function parseItemsCsv(
  text: string,
  existing: { skus?: Iterable<string>; barcodes?: Iterable<string> } = {},
): ItemsCsvParse {
  const errors: CsvError[] = [];
  const records = parseCsv(text);
  const header = (records[0] ?? []).map((h) => h.trim());
  if (records.length === 0 || header.every((h) => h === '')) {
    return { rows: [], errors: [problem(1, '', 'empty', 'the file is empty')] };
  }
  if (records.length - 1 > CSV_MAX_ROWS)
    return {
      rows: [],
      errors: [
        problem(
          0,
          '',
          'tooManyRows',
          `the file has more than ${CSV_MAX_ROWS} rows; split it into smaller files`,
          { limit: CSV_MAX_ROWS },
        ),
      ],
    };
  if (header.length > CSV_MAX_COLUMNS)
    return {
      rows: [],
      errors: [
        problem(
          1,
          '',
          'tooManyColumns',
          `the header has ${header.length} columns; an item file has at most ${ITEM_CSV_COLUMNS.length}`,
          {
            count: header.length,
            limit: ITEM_CSV_COLUMNS.length,
          },
        ),
      ],
    };
  const longHeader = header.findIndex((h) => h.length > CSV_MAX_CELL);
  if (longHeader >= 0)
    return {
      rows: [],
      errors: [
        problem(1, '', 'longCell', `a cell is longer than ${CSV_MAX_CELL} characters`, {
          limit: CSV_MAX_CELL,
        }),
      ],
    };
  // One column whose name holds the required ones: the file uses another separator (a spreadsheet's ";" or a tab).
  const sep = header.length === 1 ? [';', '\t'].find((c) => (header[0] ?? '').includes(c)) : undefined;
  if (sep !== undefined) {
    const cols = (header[0] ?? '').split(sep).map((h) => h.trim());
    if (ITEM_CSV_REQUIRED.every((r) => cols.includes(r))) {
      const name = sep === ';' ? 'semicolons' : 'tabs';
      return {
        rows: [],
        errors: [
          problem(
            1,
            '',
            'wrongSeparator',
            `the columns are separated by ${name}, not commas; save the file as CSV (comma-separated)`,
            {
              separator: sep === ';' ? ';' : 'Tab',
            },
          ),
        ],
      };
    }
  }
  const known = new Set<string>(ITEM_CSV_COLUMNS);
  const seenCols = new Set<string>();
  header.forEach((h) => {
    if (!known.has(h))
      errors.push(
        problem(1, h, 'unknownColumn', `unknown column "${quoteShort(h)}"`, { column: quoteShort(h) }),
      );
    else if (seenCols.has(h))
      errors.push(problem(1, h, 'duplicateColumn', `column "${h}" appears twice`, { column: h }));
    seenCols.add(h);
  });
  for (const r of ITEM_CSV_REQUIRED) {
    if (!header.includes(r))
      errors.push(problem(1, r, 'missingColumn', `required column "${r}" is missing`, { column: r }));
  }
  if (errors.length > 0) return { rows: [], errors };

  const skus = new Map<string, number>();
  for (const s of existing.skus ?? []) skus.set(s.trim().toLowerCase(), 0);
  const barcodes = new Map<string, number>();
  for (const b of existing.barcodes ?? []) barcodes.set(b.trim(), 0);

  const rows: ItemImportRow[] = [];
  for (let idx = 0; idx < records.length - 1; idx++) {
    if (errors.length >= CSV_MAX_ERRORS) {
      errors.push(
        problem(idx + 2, '', 'tooManyErrors', `more than ${CSV_MAX_ERRORS} errors: the check stopped here`, {
          limit: CSV_MAX_ERRORS,
        }),
      );
      break;
    }
    const rec = records[idx + 1] as string[];
    const rowNo = idx + 2;
    if (rec.every((c) => c.trim() === '')) continue; // blank line
    if (rec.length > header.length) {
      errors.push(
        problem(rowNo, '', 'tooManyCells', `${rec.length} cells but ${header.length} columns`, {
          cells: rec.length,
          columns: header.length,
        }),
      );
      continue;
    }
    const longAt = rec.findIndex((c) => c.length > CSV_MAX_CELL);
    if (longAt >= 0) {
      errors.push(
        problem(rowNo, header[longAt] ?? '', 'longCell', `a cell is longer than ${CSV_MAX_CELL} characters`, {
          limit: CSV_MAX_CELL,
        }),
      );
      continue;
    }
    const cell = (col: string): string => {
      const i = header.indexOf(col);
      return i < 0 ? '' : (rec[i] ?? '').trim();
    };
    const rowErrors: CsvError[] = [];
    // A text cell a spreadsheet would run as a formula (=HYPERLINK(…), +cmd, @SUM…) is refused, not stored.
    // Cells are stored trimmed, so a leading tab or carriage return is dropped, never stored.
    for (const col of TEXT_COLUMNS) {
      const parts =
        col === 'barcodes'
          ? cell(col)
              .split(/[|;]/)
              .map((b) => b.trim())
          : [cell(col)];
      const v = parts.find((p) => FORMULA_START.test(p));
      if (v !== undefined)
        rowErrors.push(
          problem(
            rowNo,
            col,
            'formula',
            `"${quoteShort(v)}" starts with "${v.charAt(0)}": a spreadsheet would run it as a formula`,
            { value: quoteShort(v), char: v.charAt(0) },
          ),
        );
    }
    const num = (col: string): number | null => {
      const v = cell(col);
      if (v === '') return null;
      const n = Number(v);
      if (!Number.isFinite(n)) {
        rowErrors.push({ row: rowNo, field: col, message: `"${v}" is not a number` });
        return null;
      }
      return n;
    };
    const bool = (col: string): boolean => {
      const v = cell(col).toLowerCase();
      if (TRUE.has(v)) return true;
      if (!FALSE.has(v)) rowErrors.push({ row: rowNo, field: col, message: `"${cell(col)}" is not yes/no` });
      return false;
    };
    const candidate = {
      sku: cell('sku'),
      name: cell('name'),
      uom: cell('uom'),
      barcode: cell('barcode') === '' ? null : cell('barcode'),
      barcodes: cell('barcodes')
        .split(/[|;]/)
        .map((b) => b.trim())
        .filter((b) => b !== ''),
      lengthCm: num('lengthCm'),
      widthCm: num('widthCm'),
      heightCm: num('heightCm'),
      weightKg: num('weightKg'),
      batchTracked: bool('batchTracked'),
      expiryTracked: bool('expiryTracked'),
      minStock: num('minStock'),
      purchasePrice: num('purchasePrice'),
    };
    const parsed = ItemImportRow.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? '');
        if (rowErrors.some((e) => e.field === field)) continue;
        rowErrors.push({ row: rowNo, field, message: issue.message });
      }
    }
    const sku = candidate.sku.toLowerCase();
    if (sku !== '') {
      const first = skus.get(sku);
      if (first !== undefined) {
        rowErrors.push({
          row: rowNo,
          field: 'sku',
          message:
            first === 0
              ? `SKU "${candidate.sku}" already exists`
              : `SKU "${candidate.sku}" repeats row ${first}`,
        });
      } else skus.set(sku, rowNo);
    }
    const codes = [...(candidate.barcode ? [candidate.barcode] : []), ...candidate.barcodes];
    for (const code of new Set(codes)) {
      const first = barcodes.get(code);
      if (first !== undefined) {
        rowErrors.push({
          row: rowNo,
          field: 'barcode',
          message:
            first === 0 ? `barcode "${code}" already exists` : `barcode "${code}" repeats row ${first}`,
        });
      } else barcodes.set(code, rowNo);
    }
    if (rowErrors.length > 0) errors.push(...rowErrors);
    else if (parsed.success) rows.push(parsed.data);
  }
  if (rows.length === 0 && errors.length === 0)
    errors.push(problem(2, '', 'noItems', 'the file has no items'));
  return { rows, errors };
}

// ---------------------------------------------------------------------------------------------
// On-hand rows with expiry (server balances plus this PC's unreflected movements)
// ---------------------------------------------------------------------------------------------

type BalanceLike = Pick<BalanceDoc, 'itemId' | 'locationId' | 'batch' | 'quantity' | 'seq'> & {
  expiresAt?: string | null;
};
type MovementLike = Pick<
  MovementDoc,
  'itemId' | 'quantity' | 'fromLocationId' | 'toLocationId' | 'batch' | 'seq'
> & { expiresAt?: string | null };

/**
 * Stock rows (item × location × batch, quantity ≠ 0) from server balances and the movements they
 * do not reflect yet (`onHandByLocation`'s rule, per item), each with its batch's expiry as the
 * balances or movements carry it. `seq` of a pushed-but-not-pulled movement should already be the
 * server's acknowledged sequence (renderer/data/acks.ts).
 */
export function onHandRows(
  balances: readonly BalanceLike[],
  movements: readonly MovementLike[],
  sel: { itemId?: string; locationId?: string } = {},
): StockRow[] {
  const expiry = new Map<string, string>();
  const ek = (itemId: string, batch: string | null) => `${itemId}\u0000${batch ?? ''}`;
  for (const x of [...balances, ...movements]) {
    if (x.expiresAt) expiry.set(ek(x.itemId, x.batch), x.expiresAt);
  }
  const byItemB = new Map<string, BalanceLike[]>();
  const byItemM = new Map<string, MovementLike[]>();
  for (const b of balances) {
    if (sel.itemId !== undefined && b.itemId !== sel.itemId) continue;
    byItemB.set(b.itemId, [...(byItemB.get(b.itemId) ?? []), b]);
  }
  for (const m of movements) {
    if (sel.itemId !== undefined && m.itemId !== sel.itemId) continue;
    byItemM.set(m.itemId, [...(byItemM.get(m.itemId) ?? []), m]);
  }
  const out: StockRow[] = [];
  for (const itemId of new Set([...byItemB.keys(), ...byItemM.keys()])) {
    for (const r of onHandByLocation(byItemB.get(itemId) ?? [], byItemM.get(itemId) ?? [], itemId)) {
      if (sel.locationId !== undefined && r.locationId !== sel.locationId) continue;
      out.push({ itemId, ...r, expiresAt: expiry.get(ek(itemId, r.batch)) ?? null });
    }
  }
  return out;
}

/** The expiry of a batch of an item as any stock row knows it (null: none known). */
export function batchExpiry(rows: readonly StockRow[], itemId: string, batch: string | null): string | null {
  if (batch === null) return null;
  return rows.find((r) => r.itemId === itemId && r.batch === batch && r.expiresAt)?.expiresAt ?? null;
}

/** Answer of `GET /api/locations`: the site's warehouses and locations (with their change sequence). */
export type LocationsResponse = {
  warehouses: WarehouseDoc[];
  locations: (LocationDoc & { seq: number })[];
};
