import type { RxJsonSchema } from 'rxdb';
import { hiddenFields, type Entity, type Role } from '../../shared/access/policy.js';
import type { ClientAuditEntry } from '../../shared/audit/entry.js';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../shared/domain/schemas.js';

// Local collection schemas. Index fields are required and bounded (RxDB needs that to build
// sortable index strings); `seq` is the server's tenant sequence, 0 for unsynced local docs.
const seq = { type: 'number', minimum: 0, maximum: 1e15, multipleOf: 1 } as const;
const time = { type: 'string', maxLength: 40 } as const;

/**
 * A document as stored locally: RxDB keeps `_deleted` itself, and a document carries the audit
 * entries of its not-yet-pushed changes, written in the same local write as the change (I4).
 */
export type Local<T> = Omit<T, '_deleted'> & { pendingAudit?: ClientAuditEntry[] };

/** Local-only: the audit entries of unpushed changes (stripped before a push, never pulled). */
const pendingAudit = { type: 'array', items: { type: 'object' } } as const;

/** Local schema of items; `purchasePrice` only exists for roles that may read it. */
export const itemSchema: RxJsonSchema<Local<ItemDoc>> = {
  version: 0,
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
    updatedAt: time,
    seq,
    pendingAudit,
  },
  required: ['id', 'tenantId', 'sku', 'name', 'uom', 'updatedAt', 'seq'],
  indexes: ['sku', 'seq'],
  additionalProperties: false,
};

/** Local schema of the movement ledger. */
export const movementSchema: RxJsonSchema<Local<MovementDoc>> = {
  version: 0,
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

/** Local schema of server-derived balances (read-only on the client). */
export const balanceSchema: RxJsonSchema<Omit<BalanceDoc, '_deleted'>> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 200 },
    tenantId: { type: 'string', maxLength: 32 },
    itemId: { type: 'string', maxLength: 36 },
    locationId: { type: 'string', maxLength: 64 },
    batch: { type: ['string', 'null'], maxLength: 64 },
    quantity: { type: 'number' },
    updatedAt: time,
    seq,
  },
  required: ['id', 'tenantId', 'itemId', 'locationId', 'quantity', 'updatedAt', 'seq'],
  indexes: ['seq', 'itemId'],
  additionalProperties: false,
};

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
const SENSITIVE: Record<string, readonly string[]> = { items: ['purchasePrice'] };

/** Mark the sensitive fields the schema declares as encrypted (RxDB key-encryption storage). */
export function encryptSensitive<T>(schema: RxJsonSchema<T>, entity: Entity): RxJsonSchema<T> {
  const encrypted = (SENSITIVE[entity] ?? []).filter((f) => f in schema.properties);
  return encrypted.length === 0 ? schema : { ...schema, encrypted };
}
