import type { RxJsonSchema } from 'rxdb';
import { hiddenFields, type Entity, type Role } from '../../shared/access/policy.js';
import type { ClientAuditEntry } from '../../shared/audit/entry.js';
import type { LocationDoc, OrderDoc, ReceiptDoc } from '../../shared/domain/floor.js';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../shared/domain/schemas.js';

// Local collection schemas. Index fields are required and bounded (RxDB needs that to build
// sortable index strings); `seq` is the server's tenant sequence, 0 for unsynced local docs.
const seq = { type: 'number', minimum: 0, maximum: 1e15, multipleOf: 1 } as const;
const time = { type: 'string', maxLength: 40 } as const;
const date = { type: ['string', 'null'], maxLength: 10 } as const;
const measure = { type: ['number', 'null'] } as const;

/**
 * A document as stored locally: RxDB keeps `_deleted` itself, and a document carries the audit
 * entries of its not-yet-pushed changes, written in the same local write as the change (I4).
 */
export type Local<T> = Omit<T, '_deleted'> & { pendingAudit?: ClientAuditEntry[] };

/** Local-only: the audit entries of unpushed changes (stripped before a push, never pulled). */
const pendingAudit = { type: 'array', items: { type: 'object' } } as const;

/**
 * Local schema of items; `purchasePrice` only exists for roles that may read it. Version 1 added
 * the floor fields (extra barcodes, dimensions, weight, tracking flags, low-stock threshold).
 */
export const itemSchema: RxJsonSchema<Local<ItemDoc>> = {
  version: 1,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    tenantId: { type: 'string', maxLength: 32 },
    sku: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 200 },
    barcode: { type: ['string', 'null'], maxLength: 64 },
    uom: { type: 'string', maxLength: 16 },
    purchasePrice: { type: ['number', 'null'] },
    barcodes: { type: 'array', items: { type: 'string', maxLength: 64 } },
    lengthCm: measure,
    widthCm: measure,
    heightCm: measure,
    weightKg: measure,
    batchTracked: { type: 'boolean' },
    expiryTracked: { type: 'boolean' },
    minStock: measure,
    updatedAt: time,
    seq,
    pendingAudit,
  },
  required: ['id', 'tenantId', 'sku', 'name', 'uom', 'updatedAt', 'seq'],
  indexes: ['sku', 'seq'],
  additionalProperties: false,
};

/** Local schema of the movement ledger (version 1 added `expiresAt` and `refId`). */
export const movementSchema: RxJsonSchema<Local<MovementDoc>> = {
  version: 1,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    tenantId: { type: 'string', maxLength: 32 },
    itemId: { type: 'string', maxLength: 36 },
    type: { type: 'string', maxLength: 16 },
    quantity: { type: 'number' },
    fromLocationId: { type: ['string', 'null'], maxLength: 64 },
    toLocationId: { type: ['string', 'null'], maxLength: 64 },
    batch: { type: ['string', 'null'], maxLength: 64 },
    note: { type: ['string', 'null'], maxLength: 500 },
    reversalOf: { type: ['string', 'null'], maxLength: 36 },
    expiresAt: date,
    refId: { type: ['string', 'null'], maxLength: 36 },
    createdAt: time,
    createdBy: { type: 'string', maxLength: 64 },
    deviceId: { type: 'string', maxLength: 64 },
    seq,
    pendingAudit,
  },
  required: ['id', 'tenantId', 'itemId', 'type', 'quantity', 'createdAt', 'createdBy', 'deviceId', 'seq'],
  indexes: ['seq', 'itemId'],
  additionalProperties: false,
};

/** Local schema of server-derived balances (read-only; version 1 added the batch's `expiresAt`). */
export const balanceSchema: RxJsonSchema<Omit<BalanceDoc, '_deleted'>> = {
  version: 1,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 200 },
    tenantId: { type: 'string', maxLength: 32 },
    itemId: { type: 'string', maxLength: 36 },
    locationId: { type: 'string', maxLength: 64 },
    batch: { type: ['string', 'null'], maxLength: 64 },
    quantity: { type: 'number' },
    expiresAt: date,
    updatedAt: time,
    seq,
  },
  required: ['id', 'tenantId', 'itemId', 'locationId', 'quantity', 'updatedAt', 'seq'],
  indexes: ['seq', 'itemId'],
  additionalProperties: false,
};

/** Local schema of inbound notices (ASN); lines are stored as they travel. */
export const receiptSchema: RxJsonSchema<Local<ReceiptDoc>> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    tenantId: { type: 'string', maxLength: 32 },
    reference: { type: 'string', maxLength: 64 },
    supplier: { type: ['string', 'null'], maxLength: 200 },
    expectedAt: date,
    status: { type: 'string', maxLength: 16 },
    lines: { type: 'array', items: { type: 'object' } },
    updatedAt: time,
    seq,
    pendingAudit,
  },
  required: ['id', 'tenantId', 'reference', 'status', 'lines', 'updatedAt', 'seq'],
  indexes: ['seq', 'reference'],
  additionalProperties: false,
};

/**
 * Local schema of outbound orders. The customer fields are declared only for roles that may read
 * them (schemaForRole); a masked role stores the placeholder string, so `shipTo` may be a string.
 */
export const orderSchema: RxJsonSchema<Local<OrderDoc>> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 36 },
    tenantId: { type: 'string', maxLength: 32 },
    number: { type: 'string', maxLength: 64 },
    customerName: { type: 'string', maxLength: 200 },
    customerPhone: { type: ['string', 'null'], maxLength: 64 },
    customerEmail: { type: ['string', 'null'], maxLength: 254 },
    shipTo: { type: ['object', 'string', 'null'] },
    status: { type: 'string', maxLength: 16 },
    lines: { type: 'array', items: { type: 'object' } },
    updatedAt: time,
    seq,
    pendingAudit,
  },
  required: ['id', 'tenantId', 'number', 'status', 'lines', 'updatedAt', 'seq'],
  indexes: ['seq', 'number'],
  additionalProperties: false,
};

/** Local schema of locations: site-wide reference data, pulled read-only into each partition. */
export const locationSchema: RxJsonSchema<Omit<LocationDoc, '_deleted'> & { seq: number }> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 64 },
    warehouseId: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 200 },
    barcode: { type: 'string', maxLength: 64 },
    kind: { type: 'string', maxLength: 16 },
    seq,
  },
  required: ['id', 'warehouseId', 'name', 'barcode', 'kind', 'seq'],
  indexes: ['seq'],
  additionalProperties: false,
};

/**
 * Migrations of local collections whose schema version went up: the new fields are optional, so
 * stored documents carry over unchanged (nothing unsynced is lost when the app updates).
 */
const keep = (d: unknown) => d;
export const MIGRATIONS = {
  items: { 1: keep },
  movements: { 1: keep },
  balances: { 1: keep },
} as const;

/**
 * The schema a role's partition is created with: fields the role may not read are not even
 * declared, so they cannot be stored (the server never sends them; this is the second wall).
 */
export function schemaForRole<T>(schema: RxJsonSchema<T>, entity: Entity, role: Role): RxJsonSchema<T> {
  const hidden = new Set(hiddenFields(role, entity));
  if (hidden.size === 0) return schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !hidden.has(k)));
  return {
    ...schema,
    properties,
    required: (schema.required ?? []).filter((k) => !hidden.has(k)),
  } as RxJsonSchema<T>;
}

/** Fields that reach some roles and must then be encrypted at rest on the PC. */
const SENSITIVE: Record<string, readonly string[]> = {
  items: ['purchasePrice'],
  orders: ['customerName', 'customerPhone', 'customerEmail', 'shipTo'],
};

/** Mark the sensitive fields the schema declares as encrypted (RxDB key-encryption storage). */
export function encryptSensitive<T>(schema: RxJsonSchema<T>, entity: Entity): RxJsonSchema<T> {
  const encrypted = (SENSITIVE[entity] ?? []).filter((f) => f in schema.properties);
  return encrypted.length === 0 ? schema : { ...schema, encrypted };
}
