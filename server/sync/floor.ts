import type { Selectable } from 'kysely';
import type { LocationDoc, OrderDoc, ReceiptDoc } from '../../shared/domain/floor.js';
import type { LocationsTable, OrdersTable, ReceiptsTable } from '../db/types.js';
import { toIso, toNum } from './mapping.js';

/*
 * Floor workflows on the server (issue #5): row ↔ document mapping of receipts, orders and
 * locations. JSON columns come back parsed from both drivers; tolerate text so a driver change
 * cannot leak a string where an array belongs.
 */

const json = (v: unknown): unknown => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

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
