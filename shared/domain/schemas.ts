import { z } from 'zod';

/** Tenant ids are slugs; the same rule is enforced in URLs, tokens and the database. */
export const TenantId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/, 'tenant id must be a slug');
export type TenantId = z.infer<typeof TenantId>;

/** Client-generated document id (UUID), the key for idempotent pushes. */
export const DocId = z.uuid();

const isoTime = z.iso.datetime({ offset: true });

/** A calendar date (YYYY-MM-DD), e.g. a batch's expiry. */
export const IsoDate = z.iso.date();

/** A non-negative measure that may be unknown. */
const measure = z.number().nonnegative().max(1e6).nullable().optional();

/** An item of a tenant's master data. `purchasePrice` is absent for roles that may not read it. */
export const ItemDoc = z
  .object({
    id: DocId,
    tenantId: TenantId,
    sku: z.string().min(1).max(64),
    name: z.string().min(1).max(200),
    barcode: z.string().max(64).nullable(),
    uom: z.string().min(1).max(16),
    purchasePrice: z.number().nonnegative().nullable().optional(),
    /** Extra barcodes (cases, old labels); `barcode` stays the primary one. */
    barcodes: z.array(z.string().min(1).max(64)).max(20).optional(),
    lengthCm: measure,
    widthCm: measure,
    heightCm: measure,
    weightKg: measure,
    /** Receipts must capture a batch/lot number. */
    batchTracked: z.boolean().optional(),
    /** Receipts must capture an expiry date. */
    expiryTracked: z.boolean().optional(),
    /** Low-stock threshold: on-hand below it shows in the low-stock view (null: none). */
    minStock: z.number().nonnegative().max(1e9).nullable().optional(),
    updatedAt: isoTime,
    seq: z.number().int().nonnegative(),
    _deleted: z.boolean().optional(),
  })
  .strict();
export type ItemDoc = z.infer<typeof ItemDoc>;

/** The kinds of stock movement in the append-only ledger. */
export const MovementType = z.enum(['receipt', 'putaway', 'transfer', 'pick', 'ship', 'adjustment', 'count']);
export type MovementType = z.infer<typeof MovementType>;

/**
 * One immutable ledger entry. Quantity is positive; stock leaves `fromLocationId` and enters
 * `toLocationId` (either may be null: a receipt has no source, a shipment no destination).
 * `seq` is 0 until the server has accepted the movement and assigned its tenant sequence.
 */
export const MovementDoc = z
  .object({
    id: DocId,
    tenantId: TenantId,
    itemId: DocId,
    type: MovementType,
    quantity: z.number().positive().max(1e9),
    fromLocationId: z.string().min(1).max(64).nullable(),
    toLocationId: z.string().min(1).max(64).nullable(),
    batch: z.string().max(64).nullable(),
    note: z.string().max(500).nullable(),
    /** For a compensating movement (rollback): the movement it reverses. */
    reversalOf: DocId.nullable().optional(),
    /** The batch's expiry date (receipts of expiry-tracked items). */
    expiresAt: IsoDate.nullable().optional(),
    /** The receipt or order this movement belongs to. */
    refId: DocId.nullable().optional(),
    createdAt: isoTime,
    createdBy: z.string().max(64),
    deviceId: z.string().max(64),
    seq: z.number().int().nonnegative(),
    _deleted: z.boolean().optional(),
  })
  .strict()
  .refine((m) => m.fromLocationId !== null || m.toLocationId !== null, {
    message: 'a movement needs a source or a destination location',
  });
export type MovementDoc = z.infer<typeof MovementDoc>;

/** Server-derived on-hand quantity per item × location × batch; `seq` is its last change. */
export const BalanceDoc = z
  .object({
    id: z.string().min(1).max(200),
    tenantId: TenantId,
    itemId: DocId,
    locationId: z.string().min(1).max(64),
    batch: z.string().max(64).nullable(),
    quantity: z.number(),
    /** Expiry of the batch held here (null/absent: not tracked). */
    expiresAt: IsoDate.nullable().optional(),
    updatedAt: isoTime,
    seq: z.number().int().nonnegative(),
    _deleted: z.boolean().optional(),
  })
  .strict();
export type BalanceDoc = z.infer<typeof BalanceDoc>;

/** Stable id of a balance row: the item, location and batch it sums. */
export function balanceId(itemId: string, locationId: string, batch: string | null): string {
  return `${itemId}|${locationId}|${batch ?? ''}`;
}

/** Signed effect of a movement on one location's balance. */
export function movementDelta(
  m: Pick<MovementDoc, 'quantity' | 'fromLocationId' | 'toLocationId'>,
  locationId: string,
): number {
  let d = 0;
  if (m.toLocationId === locationId) d += m.quantity;
  if (m.fromLocationId === locationId) d -= m.quantity;
  return d;
}
