import { z } from 'zod';

/** Roles a membership can grant in one tenant. */
export const Role = z.enum(['admin', 'manager', 'operator', 'finance', 'auditor']);
export type Role = z.infer<typeof Role>;

/** Entities whose fields the policy governs. */
export const Entity = z.enum(['items', 'movements', 'balances', 'orders', 'receipts']);
export type Entity = z.infer<typeof Entity>;

/**
 * How a role may treat a field, strongest first: read-write, read, a stable placeholder instead
 * of the value ("masked"), or nothing at all ("-": the field never reaches the role).
 */
export const FieldAccess = z.enum(['rw', 'r', 'masked', '-']);
export type FieldAccess = z.infer<typeof FieldAccess>;
const STRENGTH: Record<FieldAccess, number> = { rw: 3, r: 2, masked: 1, '-': 0 };

/** What a masked field carries instead of its value. */
export const MASKED = '•••';

/** A user's right in one tenant for a time window (ISO timestamps; null = open-ended). */
export const Membership = z.object({
  tenantId: z.string(),
  role: Role,
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  /** Changes whenever this user's role or the tenant's field policy changes. */
  policyVersion: z.number().int().nonnegative(),
});
export type Membership = z.infer<typeof Membership>;

/**
 * Fields the matrix once listed and no longer governs. `orders.shipToAddress` named the address
 * before orders carried it as `shipTo`; no document ever had it, so an override of it never
 * changed what anyone saw. Stored policies and clients may still name it: it is dropped on
 * parse, so such a policy loads (and can be sent back) with exactly the effect it always had.
 */
const RETIRED_FIELDS: Partial<Record<Entity, readonly string[]>> = { orders: ['shipToAddress'] };

function withoutRetired<T extends Partial<Record<Entity, Record<string, unknown>>>>(overrides: T): T {
  let out = overrides;
  for (const [entity, fields] of Object.entries(RETIRED_FIELDS) as [Entity, readonly string[]][]) {
    const own = overrides[entity];
    if (!own || !fields.some((f) => Object.hasOwn(own, f))) continue;
    const kept = Object.fromEntries(Object.entries(own).filter(([f]) => !fields.includes(f)));
    out = { ...out, [entity]: kept };
  }
  return out;
}

/** Per-tenant tightening of the default matrix: entity → field → role → access. */
export const FieldOverrides = z
  .partialRecord(Entity, z.record(z.string().min(1).max(64), z.partialRecord(Role, FieldAccess)))
  .transform(withoutRetired)
  .default({});
export type FieldOverrides = z.infer<typeof FieldOverrides>;

/** Tenant settings the policy and the client act on. */
export const TenantSettings = z
  .object({
    /** Cross-tenant reports and exports: always show the tenant column, never, or when several tenants. */
    tenantColumn: z.enum(['auto', 'required', 'hidden']).default('auto'),
    /** Wipe every local partition of a user at logout (shared PCs). */
    wipeOnLogout: z.boolean().default(false),
    /** Destructive changes moving more than this quantity need a second person's co-sign (null: never). */
    cosignAboveQuantity: z.number().nonnegative().nullable().default(1000),
    /** Working hours for alerts on destructive changes and exports (null: no such alert). */
    workingHours: z
      .object({
        /** 'HH:MM' local to `timeZone`. */
        start: z.string().regex(/^\d{2}:\d{2}$/),
        end: z.string().regex(/^\d{2}:\d{2}$/),
        /** 0 = Sunday … 6 = Saturday. */
        days: z.array(z.number().int().min(0).max(6)).max(7),
        timeZone: z.string().min(1).max(64),
      })
      .strict()
      .nullable()
      .default(null),
    /** More than `count` changes by one user within `minutes` raise an alert. */
    rapidChanges: z
      .object({ count: z.number().int().positive(), minutes: z.number().positive() })
      .strict()
      .default({ count: 40, minutes: 5 }),
    /** More than `count` rejected pushes by one user within `minutes` raise an alert. */
    rejectedPushes: z
      .object({ count: z.number().int().positive(), minutes: z.number().positive() })
      .strict()
      .default({ count: 5, minutes: 15 }),
  })
  .strict();
export type TenantSettings = z.infer<typeof TenantSettings>;

/** Settings of a tenant that never changed them. */
export const DEFAULT_TENANT_SETTINGS: TenantSettings = TenantSettings.parse({});

/** The field policy of one tenant as the server hands it to its members. */
export const TenantPolicy = z.object({
  version: z.number().int().nonnegative(),
  overrides: FieldOverrides,
  settings: TenantSettings,
});
export type TenantPolicy = z.infer<typeof TenantPolicy>;

/** Who is asking, and when: the policy never reads a clock of its own. */
export type Principal = {
  userId: string;
  memberships: readonly Membership[];
  now: Date;
  /** Field policies of the tenants (absent = the default matrix). */
  policies?: Readonly<Record<string, TenantPolicy>>;
};

type Row = Record<Role, FieldAccess>;
const row = (
  admin: FieldAccess,
  manager: FieldAccess,
  operator: FieldAccess,
  finance: FieldAccess,
  auditor: FieldAccess,
): Row => ({
  admin,
  manager,
  operator,
  finance,
  auditor,
});

/**
 * The default field matrix (ACCESS-AND-SYNC.md). `*` covers every field not listed. Operators
 * read master data and change stock only through movements; purchase price is finance's.
 */
const MATRIX: Record<Entity, Record<string, Row>> = {
  items: {
    '*': row('rw', 'rw', 'r', 'r', 'r'),
    purchasePrice: row('rw', '-', '-', 'rw', 'r'),
  },
  movements: {
    '*': row('rw', 'rw', 'rw', 'r', 'r'),
  },
  balances: {
    '*': row('r', 'r', 'r', 'r', 'r'),
  },
  orders: {
    '*': row('rw', 'rw', 'rw', 'r', 'r'),
    customerName: row('rw', 'rw', 'r', '-', 'masked'),
    /** The order document's ship-to address object (masked as a whole). */
    shipTo: row('rw', 'rw', 'r', '-', 'masked'),
    customerPhone: row('rw', 'rw', '-', '-', 'masked'),
    customerEmail: row('rw', 'rw', '-', '-', 'masked'),
  },
  /** Inbound notices: floor work for operators, read-only for finance and auditors. */
  receipts: {
    '*': row('rw', 'rw', 'rw', 'r', 'r'),
  },
};

/** Fields that identify and scope a document; every reader of the entity sees them. */
const ALWAYS_VISIBLE = new Set(['id', 'tenantId', 'seq', '_deleted', 'updatedAt']);

/** Fields the default matrix lists explicitly for an entity (the ones overrides may name). */
export function governedFields(entity: Entity): string[] {
  return Object.keys(MATRIX[entity]).filter((f) => f !== '*');
}

/** The weaker of two accesses. */
export function weaker(a: FieldAccess, b: FieldAccess): FieldAccess {
  return STRENGTH[a] <= STRENGTH[b] ? a : b;
}

/** Effective access of `role` to `field`, after the tenant's overrides (which only tighten). */
export function fieldAccess(
  role: Role,
  entity: Entity,
  field: string,
  overrides?: FieldOverrides,
): FieldAccess {
  const base = MATRIX[entity][field] ?? MATRIX[entity]['*'];
  const entityAccess = MATRIX[entity]['*']?.[role] ?? '-';
  if (ALWAYS_VISIBLE.has(field)) return entityAccess === '-' ? '-' : entityAccess === 'rw' ? 'rw' : 'r';
  let access: FieldAccess = base?.[role] ?? '-';
  const o = overrides?.[entity]?.[field]?.[role] ?? overrides?.[entity]?.['*']?.[role];
  if (o !== undefined) access = weaker(access, o);
  return access;
}

/** Problems with proposed overrides: unknown entities/fields, or attempts to loosen the default. */
export function checkOverrides(overrides: FieldOverrides): string[] {
  const problems: string[] = [];
  for (const [entity, fields] of Object.entries(overrides)) {
    const e = Entity.safeParse(entity);
    if (!e.success) {
      problems.push(`unknown entity ${entity}`);
      continue;
    }
    for (const [field, roles] of Object.entries(fields ?? {})) {
      if (field !== '*' && !(field in MATRIX[e.data])) {
        problems.push(`${entity}.${field} is not a governed field`);
        continue;
      }
      if (ALWAYS_VISIBLE.has(field)) {
        problems.push(`${entity}.${field} identifies documents and cannot be restricted`);
        continue;
      }
      for (const [role, access] of Object.entries(roles ?? {})) {
        const r = Role.parse(role);
        const base = (MATRIX[e.data][field] ?? MATRIX[e.data]['*'])?.[r] ?? '-';
        if (access !== undefined && STRENGTH[access] > STRENGTH[base]) {
          problems.push(`${entity}.${field} for ${r}: ${access} would loosen the default ${base}`);
        }
      }
    }
  }
  return problems;
}

/** True when the membership is valid at `now` (validFrom inclusive, validUntil exclusive). */
export function isMembershipActive(m: Membership, now: Date): boolean {
  const t = now.getTime();
  if (m.validFrom !== null && Date.parse(m.validFrom) > t) return false;
  if (m.validUntil !== null && Date.parse(m.validUntil) <= t) return false;
  return true;
}

/** Memberships of the principal that count right now. */
export function activeMemberships(p: Principal): Membership[] {
  return p.memberships.filter((m) => isMembershipActive(m, p.now));
}

/** The principal's role in a tenant right now, or null when it has no valid membership. */
export function roleIn(p: Principal, tenantId: string): Role | null {
  const m = activeMemberships(p).find((x) => x.tenantId === tenantId);
  return m ? m.role : null;
}

/** Tenants the principal may touch right now. */
export function authorizedTenants(p: Principal): string[] {
  return [...new Set(activeMemberships(p).map((m) => m.tenantId))].sort();
}

/** The next instant at which one of the principal's memberships starts or lapses (for timers). */
export function nextMembershipChange(p: Principal): Date | null {
  const t = p.now.getTime();
  let next: number | null = null;
  for (const m of p.memberships) {
    for (const s of [m.validFrom, m.validUntil]) {
      if (s === null) continue;
      const at = Date.parse(s);
      if (at > t && (next === null || at < next)) next = at;
    }
  }
  return next === null ? null : new Date(next);
}

/** Access of the principal to `field` of `entity` in `tenantId` right now. */
export function accessOf(p: Principal, tenantId: string, entity: Entity, field: string): FieldAccess {
  const role = roleIn(p, tenantId);
  if (role === null) return '-';
  return fieldAccess(role, entity, field, p.policies?.[tenantId]?.overrides);
}

/** May the principal see the value of `field` (not just a mask)? */
export function canRead(p: Principal, tenantId: string, entity: Entity, field: string): boolean {
  const a = accessOf(p, tenantId, entity, field);
  return a === 'r' || a === 'rw';
}

/** May the principal write `field` of `entity` in `tenantId`? */
export function canWrite(p: Principal, tenantId: string, entity: Entity, field: string): boolean {
  return accessOf(p, tenantId, entity, field) === 'rw';
}

/** May the principal create or change documents of `entity` at all? */
export function canWriteEntity(p: Principal, tenantId: string, entity: Entity): boolean {
  const role = roleIn(p, tenantId);
  if (role === null) return false;
  const overrides = p.policies?.[tenantId]?.overrides;
  return Object.keys(MATRIX[entity]).some((f) => fieldAccess(role, entity, f, overrides) === 'rw');
}

/** Role-level read check, for code that already resolved the role (server projection). */
export function roleCanRead(role: Role, entity: Entity, field: string, overrides?: FieldOverrides): boolean {
  const a = fieldAccess(role, entity, field, overrides);
  return a === 'r' || a === 'rw';
}

/** Role-level write check. */
export function roleCanWrite(role: Role, entity: Entity, field: string, overrides?: FieldOverrides): boolean {
  return fieldAccess(role, entity, field, overrides) === 'rw';
}

/** Governed fields of `entity` that never reach `role` ("-"): absent from its local database. */
export function hiddenFields(role: Role, entity: Entity, overrides?: FieldOverrides): string[] {
  return governedFields(entity).filter((f) => fieldAccess(role, entity, f, overrides) === '-');
}

/** Governed fields that reach `role` only as the mask. */
export function maskedFields(role: Role, entity: Entity, overrides?: FieldOverrides): string[] {
  return governedFields(entity).filter((f) => fieldAccess(role, entity, f, overrides) === 'masked');
}

/**
 * The document as `role` may see it: hidden fields are removed (the key, not just the value),
 * masked fields carry `MASKED`. Every outbound path uses this.
 */
export function project<T extends Record<string, unknown>>(
  role: Role,
  entity: Entity,
  doc: T,
  overrides?: FieldOverrides,
): Partial<T> {
  const access = accessTable(role, entity, overrides);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(doc)) {
    let a = access?.get(k);
    if (a === undefined) {
      a = fieldAccess(role, entity, k, overrides);
      // Bounded: documents from clients may carry any keys.
      if (access && access.size < ACCESS_TABLE_LIMIT) access.set(k, a);
    }
    if (a === 'r' || a === 'rw') out[k] = doc[k];
    else if (a === 'masked') {
      const v = doc[k];
      out[k] = v === null || v === undefined ? v : MASKED;
    }
  }
  return out as Partial<T>;
}

/**
 * Performance (pull of 100,000 documents): `project` looks each key up in a table of
 * `fieldAccess` answers per (the entity's overrides object, role, entity), filled on first use,
 * instead of evaluating the matrix and the overrides per field per document. The answers are
 * exactly `fieldAccess`'s: only `overrides[entity]` takes part in them, so a tenant without
 * overrides for the entity shares the default table, and overrides are parsed per request and
 * never mutated, so the table of an overrides object never goes stale (it dies with the object).
 */
const ACCESS_TABLE_LIMIT = 256;
const NO_OVERRIDES = {};
const accessTables = new WeakMap<object, Map<string, Map<string, FieldAccess>>>();
function accessTable(
  role: Role,
  entity: Entity,
  overrides?: FieldOverrides,
): Map<string, FieldAccess> | null {
  const scoped: unknown = overrides?.[entity];
  const owner = scoped === undefined ? NO_OVERRIDES : scoped;
  // Anything but an object (not a valid policy) is answered field by field, uncached.
  if (typeof owner !== 'object' || owner === null) return null;
  let byRole = accessTables.get(owner);
  if (byRole === undefined) {
    byRole = new Map();
    accessTables.set(owner, byRole);
  }
  const key = `${role}\u0000${entity}`;
  let table = byRole.get(key);
  if (table === undefined) {
    table = new Map();
    byRole.set(key, table);
  }
  return table;
}

/** Actions that are not field writes. */
export const Action = z.enum([
  'grant:request',
  'grant:request-for-others',
  'grant:approve',
  'grant:revoke',
  'policy:edit',
  'report:read',
  'report:cross-tenant',
  'export',
  'audit:read',
  'audit:verify',
  'audit:rollback',
  'cosign',
  'alerts:read',
]);
export type Action = z.infer<typeof Action>;

const ACTIONS: Record<Action, readonly Role[]> = {
  'grant:request': ['admin', 'manager', 'operator', 'finance', 'auditor'],
  'grant:request-for-others': ['admin'],
  'grant:approve': ['admin', 'manager'],
  'grant:revoke': ['admin', 'manager'],
  'policy:edit': ['admin'],
  'report:read': ['admin', 'manager', 'operator', 'finance', 'auditor'],
  'report:cross-tenant': ['admin', 'manager', 'finance', 'auditor'],
  export: ['admin', 'manager', 'finance', 'auditor'],
  'audit:read': ['admin', 'manager', 'finance', 'auditor'],
  'audit:verify': ['admin', 'manager', 'finance', 'auditor'],
  'audit:rollback': ['admin', 'manager'],
  cosign: ['admin', 'manager'],
  'alerts:read': ['admin', 'manager'],
};

/** May `role` take `action`? */
export function roleCan(role: Role, action: Action): boolean {
  return ACTIONS[action].includes(role);
}

/** May the principal take `action` in `tenantId` right now? */
export function can(p: Principal, tenantId: string, action: Action): boolean {
  const role = roleIn(p, tenantId);
  return role !== null && roleCan(role, action);
}

/** Whether a cross-tenant result shows the tenant column, from the tenants' settings. */
export function showTenantColumn(
  tenantIds: readonly string[],
  policies?: Readonly<Record<string, TenantPolicy>>,
): boolean {
  const settings = tenantIds.map((t) => policies?.[t]?.settings.tenantColumn ?? 'auto');
  if (settings.includes('required')) return true;
  if (settings.length > 0 && settings.every((s) => s === 'hidden')) return false;
  return tenantIds.length > 1;
}
