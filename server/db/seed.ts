import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Insertable, Kysely } from 'kysely';
import type { Role } from '../../shared/access/policy.js';
import { balanceId } from '../../shared/domain/schemas.js';
import { appendAudit } from '../audit/log.js';
import { hashPassword } from '../auth/service.js';
import type { BalancesTable, DB, ItemsTable, MovementsTable } from './types.js';

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
        const location = `A-${String((i % 20) + 1).padStart(2, '0')}-${String((Math.floor(i / 20) % 10) + 1).padStart(2, '0')}`;
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
      // Multi-row inserts keep a 2,000-item tenant to a handful of statements (params < 65k).
      await insertChunked(tx, 'items', items, 1000);
      await insertChunked(tx, 'movements', movements, 1000);
      await insertChunked(tx, 'balances', balances, 1000);
      await tx
        .insertInto('tenant_seq')
        .values({ tenant_id: t.id, last_seq: 2 * n })
        .execute();
      // One chain entry per tenant records the seed (not one per item: it is not user work).
      await appendAudit(tx, {
        tenantId: t.id,
        actorId: 'seed',
        deviceId: 'seed',
        action: 'seed',
        entity: 'tenant',
        entityId: t.id,
        after: { items: n, movements: n, balances: n, note: 'demo data with opening stock' },
        reason: 'demo seed',
        at: now,
      });
    }
    return true;
  });
}
