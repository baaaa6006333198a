import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Insertable, Kysely } from 'kysely';
import type { Role } from '../../shared/access/policy.js';
import { balanceId } from '../../shared/domain/schemas.js';
import { appendAudit } from '../audit/log.js';
import { hashPassword } from '../auth/service.js';
import type {
  BalancesTable,
  DB,
  ItemsTable,
  LocationsTable,
  MovementsTable,
  OrdersTable,
  ReceiptsTable,
} from './types.js';

export const DEMO_PASSWORD = 'demo1234';

export const DEMO_TENANTS = [
  { id: 'acme', name: 'Acme Corporation', prefix: 'ACME', word: 'Acme' },
  { id: 'globex', name: 'Globex Inc.', prefix: 'GLBX', word: 'Globex' },
  { id: 'initech', name: 'Initech LLC', prefix: 'INIT', word: 'Initech' },
] as const;

export const DEMO_USERS: { username: string; displayName: string; memberships: [string, Role][] }[] = [
  { username: 'admin.acme', displayName: 'Ada Admin', memberships: [['acme', 'admin']] },
  { username: 'op.acme', displayName: 'Oscar Operator', memberships: [['acme', 'operator']] },
  { username: 'fin.acme', displayName: 'Fiona Finance', memberships: [['acme', 'finance']] },
  { username: 'aud.acme', displayName: 'Arthur Auditor', memberships: [['acme', 'auditor']] },
  { username: 'op.globex', displayName: 'Olga Operator', memberships: [['globex', 'operator']] },
  { username: 'fin.globex', displayName: 'Felix Finance', memberships: [['globex', 'finance']] },
  { username: 'op.initech', displayName: 'Otto Operator', memberships: [['initech', 'operator']] },
  {
    username: 'mgr',
    displayName: 'Mia Manager',
    memberships: [
      ['acme', 'manager'],
      ['globex', 'manager'],
    ],
  },
];

/** A stable UUID derived from a name, so demo ids are the same on every machine. */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  // Version 4 layout and RFC variant bits, so strict UUID validators accept it.
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const demoUserId = (username: string): string => `u-${username}`;

/** EAN-13 check digit over 12 digits. */
function ean13(twelve: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(twelve[i]) * (i % 2 === 0 ? 1 : 3);
  return twelve + String((10 - (sum % 10)) % 10);
}

const UOMS = ['pcs', 'box', 'kg', 'm', 'pal'] as const;
const KINDS = ['Widget', 'Gadget', 'Sprocket', 'Bracket', 'Valve', 'Gasket', 'Bearing', 'Flange'] as const;

export type SeedOptions = { itemsPerTenant?: number; now?: Date };

/** The demo site: one warehouse. */
export const DEMO_WAREHOUSE = { id: 'WH1', name: 'Main warehouse' } as const;

/** Storage bin of the opening stock of item `i` (aisles A-01…A-20, levels 01…10). */
export function demoBinOf(i: number): string {
  return `A-${String((i % 20) + 1).padStart(2, '0')}-${String((Math.floor(i / 20) % 10) + 1).padStart(2, '0')}`;
}

/**
 * Demo locations: a receiving dock pair, the storage bins the opening stock lies in, a staging lane
 * and a shipping door. Barcodes are the code with a `LOC-` prefix (labels print that).
 */
export function demoLocations(): Insertable<LocationsTable>[] {
  const special: [string, string, string][] = [
    ['RCV-01', 'Receiving dock 1', 'receiving'],
    ['RCV-02', 'Receiving dock 2', 'receiving'],
    ['STG-01', 'Staging lane 1', 'staging'],
    ['SHP-01', 'Shipping door 1', 'shipping'],
  ];
  const bins: [string, string, string][] = [];
  for (let a = 1; a <= 20; a++)
    for (let l = 1; l <= 10; l++) {
      const id = `A-${String(a).padStart(2, '0')}-${String(l).padStart(2, '0')}`;
      bins.push([
        id,
        `Aisle A, bay ${String(a).padStart(2, '0')}, level ${String(l).padStart(2, '0')}`,
        'storage',
      ]);
    }
  return [...special, ...bins].map(([id, name, kind]) => ({
    id,
    warehouse_id: DEMO_WAREHOUSE.id,
    name,
    barcode: `LOC-${id}`,
    kind,
  }));
}

/** Demo customers per tenant (order customer fields are sensitive: masked or hidden by role). */
const CUSTOMERS: Record<
  string,
  { name: string; phone: string; email: string; shipTo: Record<string, unknown> }
> = {
  acme: {
    name: 'Zhang Wei',
    phone: '+86 21 5555 0101',
    email: 'zhang.wei@example.com',
    shipTo: {
      line1: '88 Century Avenue',
      line2: 'Floor 12',
      city: 'Shanghai',
      postalCode: '200120',
      country: 'CN',
    },
  },
  globex: {
    name: 'Maria Schmidt',
    phone: '+49 30 5555 0102',
    email: 'maria.schmidt@example.com',
    shipTo: { line1: 'Friedrichstraße 10', line2: null, city: 'Berlin', postalCode: '10117', country: 'DE' },
  },
  initech: {
    name: 'Peter Gibbons',
    phone: '+1 512 555 0103',
    email: 'peter.gibbons@example.com',
    shipTo: { line1: '4120 Freidrich Lane', line2: null, city: 'Austin', postalCode: '78744', country: 'US' },
  },
};

const isoDay = (now: Date, days: number) =>
  new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);

async function insertChunked<T extends keyof DB>(
  db: Kysely<DB>,
  table: T,
  rows: Insertable<DB[T]>[],
  size: number,
) {
  for (let i = 0; i < rows.length; i += size) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + size))
      .execute();
  }
}

/**
 * Demo data, only into an empty database (no tenants yet). Runs as the owner in one transaction;
 * stock arrives through receipt movements so balances are derived exactly as pushes derive them.
 */
export async function seed(owner: Kysely<DB>, opts: SeedOptions = {}): Promise<boolean> {
  const n = opts.itemsPerTenant ?? 2000;
  const now = opts.now ?? new Date();
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  return owner.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(8787002)`.execute(tx);
    const any = await tx.selectFrom('tenants').select('id').limit(1).executeTakeFirst();
    if (any) return false;
    // Site-wide reference data (no tenant): the warehouse and its locations.
    await tx
      .insertInto('warehouses')
      .values(DEMO_WAREHOUSE)
      .onConflict((oc) => oc.doNothing())
      .execute();
    await insertChunked(tx, 'locations', demoLocations(), 500);
    await tx
      .insertInto('tenants')
      .values(DEMO_TENANTS.map((t) => ({ id: t.id, name: t.name })))
      .execute();
    // Every tenant starts on the default matrix (version 1, no overrides, default settings).
    await tx
      .insertInto('tenant_policies')
      .values(DEMO_TENANTS.map((t) => ({ tenant_id: t.id, overrides: '{}', settings: '{}' })))
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    await tx
      .insertInto('users')
      .values(
        DEMO_USERS.map((u) => ({
          id: demoUserId(u.username),
          username: u.username,
          display_name: u.displayName,
          password_hash: passwordHash,
          disabled: false,
        })),
      )
      .execute();
    await tx
      .insertInto('memberships')
      .values(
        DEMO_USERS.flatMap((u) =>
          u.memberships.map(([tenant_id, role]) => ({
            user_id: demoUserId(u.username),
            tenant_id,
            role,
            valid_from: null,
            valid_until: null,
            policy_version: 1,
          })),
        ),
      )
      .execute();

    for (const [ti, t] of DEMO_TENANTS.entries()) {
      const items: Insertable<ItemsTable>[] = [];
      const movements: Insertable<MovementsTable>[] = [];
      const balances: Insertable<BalancesTable>[] = [];
      for (let i = 1; i <= n; i++) {
        const id = stableUuid(`${t.id}/item/${i}`);
        const kind = KINDS[i % KINDS.length] ?? 'Widget';
        items.push({
          tenant_id: t.id,
          id,
          sku: `${t.prefix}-${String(i).padStart(6, '0')}`,
          name: `${t.word} ${kind} ${i}`,
          barcode: ean13(`20${ti + 1}${String(i).padStart(9, '0')}`),
          uom: UOMS[i % UOMS.length] ?? 'pcs',
          purchase_price: Math.round(((i * 37) % 9900) + 100) / 100,
          updated_at: now,
          seq: i,
          deleted: false,
        });
        const location = demoBinOf(i);
        const qty = 10 + ((i * 7) % 90);
        const mseq = n + i;
        movements.push({
          tenant_id: t.id,
          id: stableUuid(`${t.id}/movement/${i}`),
          item_id: id,
          type: 'receipt',
          quantity: qty,
          from_location_id: null,
          to_location_id: location,
          batch: null,
          note: 'opening stock',
          created_at: now,
          created_by: 'seed',
          device_id: 'seed',
          received_at: now,
          seq: mseq,
        });
        balances.push({
          tenant_id: t.id,
          id: balanceId(id, location, null),
          item_id: id,
          location_id: location,
          batch: null,
          quantity: qty,
          updated_at: now,
          seq: mseq,
        });
      }
      const floor = floorDemo(t, n, now, 2 * n, items, movements, balances);
      // Multi-row inserts keep a 2,000-item tenant to a handful of statements (params < 65k).
      await insertChunked(tx, 'items', items, 1000);
      await insertChunked(tx, 'movements', movements, 1000);
      await insertChunked(tx, 'balances', balances, 1000);
      await insertChunked(tx, 'receipts', floor.receipts, 100);
      await insertChunked(tx, 'orders', floor.orders, 100);
      await tx.insertInto('tenant_seq').values({ tenant_id: t.id, last_seq: floor.lastSeq }).execute();
      // One chain entry per tenant records the seed (not one per item: it is not user work).
      await appendAudit(tx, {
        tenantId: t.id,
        actorId: 'seed',
        deviceId: 'seed',
        action: 'seed',
        entity: 'tenant',
        entityId: t.id,
        after: {
          items: n,
          movements: movements.length,
          balances: balances.length,
          receipts: floor.receipts.length,
          orders: floor.orders.length,
          note: 'demo data with opening stock, an inbound notice and an order',
        },
        reason: 'demo seed',
        at: now,
      });
    }
    return true;
  });
}

/**
 * Floor demo data of one tenant, after its items and opening stock (sequences from `seq0` + 1):
 * an open inbound notice and an open order (every size); at demo scale (100 items or more) also
 * low-stock thresholds and batch/expiry-tracked items with dated batches — one expired, one
 * expiring within two weeks, one later — so the expiry, low-stock and FEFO views have something
 * to show. Smaller (test) tenants keep exactly one opening movement per item.
 */
function floorDemo(
  t: (typeof DEMO_TENANTS)[number],
  n: number,
  now: Date,
  seq0: number,
  items: Insertable<ItemsTable>[],
  movements: Insertable<MovementsTable>[],
  balances: Insertable<BalancesTable>[],
): { receipts: Insertable<ReceiptsTable>[]; orders: Insertable<OrdersTable>[]; lastSeq: number } {
  let seq = seq0;
  const item = (k: number) => items[(k - 1) % n];
  if (n >= 100) {
    // Low-stock thresholds on a few items (some are below them).
    for (const [k, min] of [
      [31, 50],
      [32, 500],
      [33, 5],
    ] as const) {
      const it = item(k);
      if (it) it.min_stock = min;
    }
    // Dated batches, put away in storage bins.
    const batches: [number, string, number, number, string][] = [
      [41, 'LOT-OLD', -5, 12, 'A-20-09'],
      [41, 'LOT-SOON', 10, 30, 'A-20-10'],
      [41, 'LOT-LATE', 180, 60, 'A-19-10'],
      [42, 'LOT-2401', 25, 24, 'A-18-10'],
    ];
    for (const k of new Set(batches.map((b) => b[0]))) {
      const it = item(k);
      if (it) {
        it.batch_tracked = true;
        it.expiry_tracked = true;
      }
    }
    for (const [k, batch, days, qty, bin] of batches) {
      const it = item(k);
      if (!it) continue;
      seq += 1;
      const expires = isoDay(now, days);
      movements.push({
        tenant_id: t.id,
        id: stableUuid(`${t.id}/movement/${batch}`),
        item_id: it.id,
        type: 'receipt',
        quantity: qty,
        from_location_id: null,
        to_location_id: bin,
        batch,
        note: 'opening stock (batch)',
        created_at: now,
        created_by: 'seed',
        device_id: 'seed',
        received_at: now,
        seq,
        expires_at: expires,
      });
      balances.push({
        tenant_id: t.id,
        id: balanceId(it.id, bin, batch),
        item_id: it.id,
        location_id: bin,
        batch,
        quantity: qty,
        expires_at: expires,
        updated_at: now,
        seq,
      });
    }
  }
  const receiptId = stableUuid(`${t.id}/receipt/1`);
  seq += 1;
  const receipts: Insertable<ReceiptsTable>[] = [
    {
      tenant_id: t.id,
      id: receiptId,
      reference: `ASN-${t.prefix}-0001`,
      supplier: 'Northwind Supply',
      expected_at: isoDay(now, 1),
      status: 'open',
      lines: JSON.stringify(
        [
          [6, 24],
          [8, 12],
        ].map(([k, q], i) => ({ lineId: String(i + 1), itemId: item(k ?? 1)?.id, expectedQty: q })),
      ),
      updated_at: now,
      seq,
    },
  ];
  seq += 1;
  const c = CUSTOMERS[t.id] ?? CUSTOMERS['acme']!;
  const orders: Insertable<OrdersTable>[] = [
    {
      tenant_id: t.id,
      id: stableUuid(`${t.id}/order/1`),
      number: `SO-${t.prefix}-0001`,
      customer_name: c.name,
      customer_phone: c.phone,
      customer_email: c.email,
      ship_to: JSON.stringify(c.shipTo),
      status: 'open',
      lines: JSON.stringify(
        [
          [9, 3],
          [10, 2],
        ].map(([k, q], i) => ({ lineId: String(i + 1), itemId: item(k ?? 1)?.id, qty: q })),
      ),
      updated_at: now,
      seq,
    },
  ];
  return { receipts, orders, lastSeq: seq };
}
