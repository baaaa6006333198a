/** Bench data: tenants of a given size loaded straight into the server database (as owner). */
import { sql, type Insertable, type Kysely } from 'kysely';
import { balanceId } from '../../shared/domain/schemas.js';
import type { BalancesTable, DB, ItemsTable } from '../../server/db/types.js';
import { demoUserId, stableUuid } from '../../server/db/seed.js';

const KINDS = ['Widget', 'Gadget', 'Sprocket', 'Bracket', 'Valve', 'Gasket', 'Bearing', 'Flange'] as const;
const UOMS = ['pcs', 'box', 'kg', 'm', 'pal'] as const;
const PREFIX: Record<string, string> = { acme: 'ACME', globex: 'GLBX', initech: 'INIT' };
const WORD: Record<string, string> = { acme: 'Acme', globex: 'Globex', initech: 'Initech' };

export type BenchItem = { id: string; sku: string; name: string; barcode: string };

export function benchItem(tenant: string, i: number): BenchItem {
  const kind = KINDS[i % KINDS.length] ?? 'Widget';
  return {
    id: stableUuid(`${tenant}/bench-item/${i}`),
    sku: `${PREFIX[tenant] ?? 'X'}-${String(i).padStart(6, '0')}`,
    name: `${WORD[tenant] ?? 'X'} ${kind} ${i}`,
    barcode: `20${String(i).padStart(11, '0')}`,
  };
}

export function location(i: number): string {
  return `A-${String((i % 20) + 1).padStart(2, '0')}-${String((Math.floor(i / 20) % 10) + 1).padStart(2, '0')}`;
}

/** `n` items and one balance per item; items take seq 1..n and balances n+1..2n. */
export async function loadTenant(owner: Kysely<DB>, tenant: string, n: number, now: Date): Promise<void> {
  const chunk = 2000;
  for (let start = 1; start <= n; start += chunk) {
    const items: Insertable<ItemsTable>[] = [];
    const balances: Insertable<BalancesTable>[] = [];
    for (let i = start; i < Math.min(start + chunk, n + 1); i++) {
      const it = benchItem(tenant, i);
      items.push({
        tenant_id: tenant,
        id: it.id,
        sku: it.sku,
        name: it.name,
        barcode: it.barcode,
        uom: UOMS[i % UOMS.length] ?? 'pcs',
        purchase_price: Math.round(((i * 37) % 9900) + 100) / 100,
        updated_at: now,
        seq: i,
        deleted: false,
      });
      balances.push({
        tenant_id: tenant,
        id: balanceId(it.id, location(i), null),
        item_id: it.id,
        location_id: location(i),
        batch: null,
        quantity: 10 + ((i * 7) % 90),
        updated_at: now,
        seq: n + i,
      });
    }
    await owner.insertInto('items').values(items).execute();
    await owner.insertInto('balances').values(balances).execute();
  }
  await owner
    .insertInto('tenant_seq')
    .values({ tenant_id: tenant, last_seq: 2 * n })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ last_seq: 2 * n }))
    .execute();
  await sql`ANALYZE items`.execute(owner);
  await sql`ANALYZE balances`.execute(owner);
}

/** The demo manager also manages initech (three tenants to switch between). */
export async function addManagerToInitech(owner: Kysely<DB>): Promise<void> {
  await owner
    .insertInto('memberships')
    .values({
      user_id: demoUserId('mgr'),
      tenant_id: 'initech',
      role: 'manager',
      valid_from: null,
      valid_until: null,
      policy_version: 1,
    })
    .execute();
}

/** The wire documents a manager pulls (no purchasePrice), as the peer's CouchDB documents. */
export function peerDocs(tenant: string, n: number, now: Date): Record<string, Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const balances: Record<string, unknown>[] = [];
  const at = now.toISOString();
  for (let i = 1; i <= n; i++) {
    const it = benchItem(tenant, i);
    items.push({
      _id: it.id,
      id: it.id,
      tenantId: tenant,
      sku: it.sku,
      name: it.name,
      barcode: it.barcode,
      uom: UOMS[i % UOMS.length] ?? 'pcs',
      updatedAt: at,
      seq: i,
    });
    const bid = balanceId(it.id, location(i), null);
    balances.push({
      _id: bid,
      id: bid,
      tenantId: tenant,
      itemId: it.id,
      locationId: location(i),
      batch: null,
      quantity: 10 + ((i * 7) % 90),
      updatedAt: at,
      seq: n + i,
    });
  }
  return { items, balances };
}
