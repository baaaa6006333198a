import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
/**
 * The generated world of the isolation suite and its oracle. The oracle evaluates the shared
 * policy on the generated memberships and overrides (never on what the server reports), and
 * reads row values through the owner connection (which bypasses RLS).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type {
  Entity,
  FieldAccess,
  FieldOverrides,
  Membership,
  Role,
  TenantPolicy,
} from '../../../shared/access/policy.js';
import {
  fieldAccess,
  governedFields,
  isMembershipActive,
  project,
  roleCan,
  roleCanRead,
  showTenantColumn,
  weaker,
} from '../../../shared/access/policy.js';
import { balanceId } from '../../../shared/domain/schemas.js';
import type { NewAuditEntry } from '../../../server/audit/log.js';
import { appendAudits, auditRowToEntry } from '../../../server/audit/log.js';
import type { DB } from '../../../server/db/types.js';
import { balanceRowToDoc, itemRowToDoc, movementRowToDoc } from '../../../server/sync/mapping.js';

export const ROLES: Role[] = ['admin', 'manager', 'operator', 'finance', 'auditor'];
export const ENTITIES: Entity[] = ['items', 'movements', 'balances'];
const ACCESSES: FieldAccess[] = ['rw', 'r', 'masked', '-'];
export type WindowKind = 'open' | 'past' | 'current' | 'future' | 'expiring' | 'justExpired';

export type WorldSpec = {
  tenants: number;
  users: number;
  /** memberships[u][t]: null = none. */
  memberships: ({ role: Role; window: WindowKind } | null)[][];
  /** Per tenant: sparse tightenings [entity, field, role, access] (made non-loosening). */
  overrides: [Entity, string, Role, FieldAccess][][];
  tenantColumn: ('auto' | 'required' | 'hidden')[];
  policyVersion: number[];
  /** The second instant, after the first (ms). */
  later: number;
  /** Random numbers for item prices, quantities, names. */
  salt: number;
};

const DAY = 86_400_000;

export function worldArb(maxTenants: number, maxUsers: number): fc.Arbitrary<WorldSpec> {
  return fc
    .record({
      tenants: fc.integer({ min: 2, max: maxTenants }),
      users: fc.integer({ min: 2, max: maxUsers }),
    })
    .chain(({ tenants, users }) =>
      fc.record({
        tenants: fc.constant(tenants),
        users: fc.constant(users),
        memberships: fc.array(
          fc.array(
            fc.option(
              fc.record({
                role: fc.constantFrom(...ROLES),
                window: fc.constantFrom<WindowKind>(
                  'open',
                  'past',
                  'current',
                  'future',
                  'expiring',
                  'justExpired',
                ),
              }),
              { freq: 3, nil: null },
            ),
            { minLength: tenants, maxLength: tenants },
          ),
          { minLength: users, maxLength: users },
        ),
        overrides: fc.array(
          fc.array(
            fc.tuple(
              fc.constantFrom<Entity>('items', 'items', 'items', 'movements', 'balances'),
              fc.constantFrom('*', 'purchasePrice', 'purchasePrice'),
              fc.constantFrom(...ROLES),
              fc.constantFrom(...ACCESSES),
            ),
            { maxLength: 5 },
          ),
          { minLength: tenants, maxLength: tenants },
        ),
        tenantColumn: fc.array(
          fc.constantFrom<'auto' | 'required' | 'hidden'>('auto', 'required', 'hidden'),
          {
            minLength: tenants,
            maxLength: tenants,
          },
        ),
        policyVersion: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: tenants, maxLength: tenants }),
        later: fc.constantFrom(1000, 2 * 3600_000, 3 * DAY),
        salt: fc.integer({ min: 1, max: 1_000_000 }),
      }),
    );
}

/** The overrides of one tenant: each generated entry tightened against the default (never loosens). */
export function buildOverrides(entries: [Entity, string, Role, FieldAccess][]): FieldOverrides {
  const o: Record<string, Record<string, Partial<Record<Role, FieldAccess>>>> = {};
  for (const [entity, field0, role, access] of entries) {
    const field =
      field0 === 'purchasePrice' && !governedFields(entity).includes('purchasePrice') ? '*' : field0;
    const base = fieldAccess(role, entity, field);
    const e = (o[entity] ??= {});
    const f = (e[field] ??= {});
    f[role] = weaker(base, weaker(f[role] ?? base, access));
  }
  return o;
}

function windowOf(kind: WindowKind, t: number): { from: Date | null; until: Date | null } {
  switch (kind) {
    case 'open':
      return { from: null, until: null };
    case 'past':
      return { from: new Date(t - 10 * DAY), until: new Date(t - DAY) };
    case 'current':
      return { from: new Date(t - DAY), until: new Date(t + DAY) };
    case 'future':
      return { from: new Date(t + 3600_000), until: new Date(t + 10 * DAY) };
    case 'expiring':
      return { from: null, until: new Date(t + 1000) };
    case 'justExpired':
      return { from: null, until: new Date(t - 1000) };
  }
}

export type World = {
  n: number;
  spec: WorldSpec;
  t1: Date;
  t2: Date;
  tenants: string[];
  users: string[];
  /** The generated memberships, as the shared policy reads them. */
  memberships: Map<string, Membership[]>;
  policies: Record<string, TenantPolicy>;
  tokens: Map<string, string>;
  itemIds: Map<string, string[]>;
};

/** Inserts the world through the owner connection and mints one access token per user. */
export async function insertWorld(
  db: Kysely<DB>,
  spec: WorldSpec,
  n: number,
  t1: Date,
  jwtSecret: Uint8Array,
): Promise<World> {
  const t = t1.getTime();
  const tenants = Array.from({ length: spec.tenants }, (_, i) => `w${n}-t${i}`);
  const users = Array.from({ length: spec.users }, (_, i) => `w${n}-u${i}`);
  await db
    .insertInto('tenants')
    .values(tenants.map((id) => ({ id, name: `Tenant ${id}` })))
    .execute();
  const policies: Record<string, TenantPolicy> = {};
  tenants.forEach((id, i) => {
    policies[id] = {
      version: spec.policyVersion[i] ?? 1,
      overrides: buildOverrides(spec.overrides[i] ?? []),
      settings: {
        ...DEFAULT_TENANT_SETTINGS,
        tenantColumn: spec.tenantColumn[i] ?? 'auto',
        wipeOnLogout: false,
      },
    };
  });
  await db
    .insertInto('tenant_policies')
    .values(
      tenants.map((id) => ({
        tenant_id: id,
        version: policies[id]?.version ?? 1,
        overrides: JSON.stringify(policies[id]?.overrides ?? {}),
        settings: JSON.stringify(policies[id]?.settings ?? {}),
      })),
    )
    .execute();
  await db
    .insertInto('users')
    .values(users.map((id) => ({ id, username: id, display_name: id, password_hash: 'x', disabled: false })))
    .execute();
  const memberships = new Map<string, Membership[]>();
  const rows: {
    user_id: string;
    tenant_id: string;
    role: string;
    valid_from: Date | null;
    valid_until: Date | null;
    policy_version: number;
  }[] = [];
  users.forEach((u, ui) => {
    const list: Membership[] = [];
    tenants.forEach((tenant, ti) => {
      const m = spec.memberships[ui]?.[ti];
      if (!m) return;
      const w = windowOf(m.window, t);
      rows.push({
        user_id: u,
        tenant_id: tenant,
        role: m.role,
        valid_from: w.from,
        valid_until: w.until,
        policy_version: 1,
      });
      list.push({
        tenantId: tenant,
        role: m.role,
        validFrom: w.from?.toISOString() ?? null,
        validUntil: w.until?.toISOString() ?? null,
        policyVersion: 1 + (policies[tenant]?.version ?? 1),
      });
    });
    memberships.set(u, list);
  });
  if (rows.length > 0) await db.insertInto('memberships').values(rows).execute();

  const itemIds = new Map<string, string[]>();
  let salt = spec.salt;
  const rnd = (k: number): number => {
    salt = (salt * 1103515245 + 12345) % 2147483648;
    return salt % k;
  };
  const items = [];
  const movements = [];
  const balances = [];
  const audit: NewAuditEntry[] = [];
  for (const tenant of tenants) {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      ids.push(id);
      const price = rnd(100_000) / 100;
      const doc = {
        tenant_id: tenant,
        id,
        sku: `${tenant}-S${i}`,
        name: `Item ${i} ${rnd(1000)}`,
        barcode: null,
        uom: 'pcs',
        purchase_price: price,
        updated_at: t1,
        seq: i + 1,
        deleted: false,
      };
      items.push(doc);
      const qty = 1 + rnd(50);
      movements.push({
        tenant_id: tenant,
        id: randomUUID(),
        item_id: id,
        type: 'receipt',
        quantity: qty,
        from_location_id: null,
        to_location_id: 'L-1',
        batch: null,
        note: null,
        created_at: t1,
        created_by: users[0] ?? 'x',
        device_id: 'd',
        received_at: t1,
        seq: 10 + i,
      });
      balances.push({
        tenant_id: tenant,
        id: balanceId(id, 'L-1', null),
        item_id: id,
        location_id: 'L-1',
        batch: null,
        quantity: qty,
        updated_at: t1,
        seq: 10 + i,
      });
      const itemDoc = itemRowToDoc({ ...doc });
      audit.push({
        tenantId: tenant,
        at: t1,
        actorId: users[rnd(users.length)] ?? 'x',
        deviceId: null,
        action: 'update',
        entity: 'items',
        entityId: id,
        before: { ...itemDoc, purchasePrice: price + 1 },
        after: itemDoc,
      });
    }
    itemIds.set(tenant, ids);
  }
  await db.insertInto('items').values(items).execute();
  // The bins the world's movements name (site-wide; the server refuses movements to unknown bins).
  await db
    .insertInto('warehouses')
    .values({ id: 'WH-ISO', name: 'Isolation warehouse' })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db
    .insertInto('locations')
    .values(
      ['L-1', 'L-2'].map((id) => ({
        id,
        warehouse_id: 'WH-ISO',
        name: `Bin ${id}`,
        barcode: `LOC-${id}`,
        kind: 'storage',
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db.insertInto('movements').values(movements).execute();
  await db.insertInto('balances').values(balances).execute();
  await db
    .insertInto('tenant_seq')
    .values(tenants.map((tenant_id) => ({ tenant_id, last_seq: 20 })))
    .execute();
  // Chained like every entry (the owner writes them, as the seed does).
  for (const tenant of tenants)
    await appendAudits(
      db,
      audit.filter((e) => e.tenantId === tenant),
    );

  const tokens = new Map<string, string>();
  const sessions = [];
  for (const u of users) {
    const sid = randomUUID();
    sessions.push({
      id: sid,
      user_id: u,
      device_id: 'iso',
      refresh_hash: randomUUID(),
      expires_at: new Date(t + 30 * DAY),
      revoked_at: null,
      created_at: t1,
    });
    tokens.set(u, await mintToken(jwtSecret, u, sid, t1));
  }
  await db.insertInto('sessions').values(sessions).execute();
  return {
    n,
    spec,
    t1,
    t2: new Date(t + spec.later),
    tenants,
    users,
    memberships,
    policies,
    tokens,
    itemIds,
  };
}

export async function mintToken(secret: Uint8Array, userId: string, sid: string, at: Date): Promise<string> {
  const iat = Math.floor(at.getTime() / 1000) - 60;
  return new SignJWT({ sid, device: 'iso' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 10 * 86_400)
    .sign(secret);
}

/** The oracle's role of `user` in `tenant` at `now`, from the generated memberships only. */
export function oracleRole(w: World, user: string, tenant: string, now: Date): Role | null {
  const m = (w.memberships.get(user) ?? []).find((x) => x.tenantId === tenant);
  return m && isMembershipActive(m, now) ? m.role : null;
}

export type Doc = Record<string, unknown>;

/** Full (unprojected) documents of a tenant, read as the owner. */
export async function fullDocs(
  db: Kysely<DB>,
  tenant: string,
): Promise<Record<'items' | 'movements' | 'balances', Doc[]>> {
  const [items, movements, balances] = await Promise.all([
    db.selectFrom('items').selectAll().where('tenant_id', '=', tenant).execute(),
    db.selectFrom('movements').selectAll().where('tenant_id', '=', tenant).execute(),
    db.selectFrom('balances').selectAll().where('tenant_id', '=', tenant).execute(),
  ]);
  return {
    items: items.map(itemRowToDoc),
    movements: movements.map(movementRowToDoc),
    balances: balances.map(balanceRowToDoc),
  };
}

export async function auditEntries(db: Kysely<DB>, tenant: string) {
  return (
    await db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .orderBy('seq', 'desc')
      .execute()
  ).map(auditRowToEntry);
}

/** Row-level snapshot of a tenant for "nothing changed" checks. */
export async function tenantState(db: Kysely<DB>, tenant: string): Promise<string> {
  const d = await fullDocs(db, tenant);
  const seq = await db
    .selectFrom('tenant_seq')
    .select('last_seq')
    .where('tenant_id', '=', tenant)
    .executeTakeFirst();
  const sort = (xs: Doc[]): Doc[] => [...xs].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return JSON.stringify({
    i: sort(d.items),
    m: sort(d.movements),
    b: sort(d.balances),
    s: Number(seq?.last_seq ?? 0),
  });
}

/** The expected inventory report for `tenants`, computed independently from the policy. */
export function oracleReport(
  w: World,
  user: string,
  tenants: string[],
  now: Date,
  docs: Map<string, Record<'items' | 'movements' | 'balances', Doc[]>>,
): { columns: string[]; rows: Record<string, string | number | null>[]; tenantColumn: boolean } {
  const readable = (tenant: string, needs: [Entity, string][]): boolean => {
    const role = oracleRole(w, user, tenant, now);
    return role !== null && needs.every(([e, f]) => roleCanRead(role, e, f, w.policies[tenant]?.overrides));
  };
  const defs: { key: string; needs: [Entity, string][] }[] = [
    { key: 'sku', needs: [['items', 'sku']] },
    { key: 'name', needs: [['items', 'name']] },
    { key: 'uom', needs: [['items', 'uom']] },
    { key: 'onHand', needs: [['balances', 'quantity']] },
    { key: 'purchasePrice', needs: [['items', 'purchasePrice']] },
    {
      key: 'value',
      needs: [
        ['items', 'purchasePrice'],
        ['balances', 'quantity'],
      ],
    },
  ];
  const tenantColumn = showTenantColumn(tenants, w.policies);
  const cols = defs.filter((d) => tenants.some((t) => readable(t, d.needs)));
  const rows: Record<string, string | number | null>[] = [];
  for (const t of tenants) {
    const d = docs.get(t);
    if (!d) continue;
    for (const item of d.items) {
      if (item._deleted === true) continue;
      const onHand = d.balances
        .filter((b) => b.itemId === item.id)
        .reduce((s, b) => s + Number(b.quantity), 0);
      const price = item.purchasePrice as number | null;
      const values: Record<string, string | number | null> = {
        sku: item.sku as string,
        name: item.name as string,
        uom: item.uom as string,
        onHand,
        purchasePrice: price,
        value: price === null ? null : Math.round(onHand * price * 100) / 100,
      };
      const row: Record<string, string | number | null> = {};
      if (tenantColumn) row.tenantId = t;
      for (const c of cols) if (readable(t, c.needs)) row[c.key] = values[c.key] ?? null;
      rows.push(row);
    }
  }
  return { columns: [...(tenantColumn ? ['tenantId'] : []), ...cols.map((c) => c.key)], rows, tenantColumn };
}

export { project, roleCan, fieldAccess };
