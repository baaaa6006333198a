import { z } from 'zod';

/** Roles a membership can grant in one tenant. */
export const Role = z.enum(['admin', 'manager', 'operator', 'finance', 'auditor']);
export type Role = z.infer<typeof Role>;

/** Entities the policy knows about (the synced collections). */
export const Entity = z.enum(['items', 'movements', 'balances']);
export type Entity = z.infer<typeof Entity>;

/** A user's right in one tenant for a time window (ISO timestamps; null = open-ended). */
export const Membership = z.object({
  tenantId: z.string(),
  role: Role,
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  policyVersion: z.number().int().nonnegative(),
});
export type Membership = z.infer<typeof Membership>;

/** Who is asking, and when: the policy never reads a clock of its own. */
export type Principal = {
  userId: string;
  memberships: readonly Membership[];
  now: Date;
};

type Access = 'rw' | 'r' | '-';

/**
 * Default field matrix. `*` is every field not listed. First cut: purchase price is visible to
 * admin and finance only; operators read master data and write stock only through movements.
 */
const MATRIX: Record<Entity, Record<string, Record<Role, Access>>> = {
  items: {
    '*': { admin: 'rw', manager: 'rw', operator: 'r', finance: 'r', auditor: 'r' },
    purchasePrice: { admin: 'rw', manager: '-', operator: '-', finance: 'rw', auditor: 'r' },
  },
  movements: {
    '*': { admin: 'rw', manager: 'rw', operator: 'rw', finance: 'r', auditor: 'r' },
  },
  balances: {
    '*': { admin: 'r', manager: 'r', operator: 'r', finance: 'r', auditor: 'r' },
  },
};

/** Fields that identify and scope a document; every reader of the entity sees them. */
const ALWAYS_VISIBLE = new Set(['id', 'tenantId', 'seq', '_deleted', 'updatedAt']);

function access(entity: Entity, field: string, role: Role): Access {
  const row = MATRIX[entity][field] ?? MATRIX[entity]['*'];
  return row?.[role] ?? '-';
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

/** May the principal read `field` of `entity` in `tenantId`? */
export function canRead(p: Principal, tenantId: string, entity: Entity, field: string): boolean {
  const role = roleIn(p, tenantId);
  if (role === null) return false;
  if (ALWAYS_VISIBLE.has(field)) return access(entity, '*', role) !== '-';
  return access(entity, field, role) !== '-';
}

/** May the principal write `field` of `entity` in `tenantId`? */
export function canWrite(p: Principal, tenantId: string, entity: Entity, field: string): boolean {
  const role = roleIn(p, tenantId);
  if (role === null) return false;
  if (ALWAYS_VISIBLE.has(field)) return access(entity, '*', role) === 'rw';
  return access(entity, field, role) === 'rw';
}

/** May the principal create or change documents of `entity` at all? */
export function canWriteEntity(p: Principal, tenantId: string, entity: Entity): boolean {
  const role = roleIn(p, tenantId);
  if (role === null) return false;
  return Object.values(MATRIX[entity]).some((row) => row[role] === 'rw');
}

/** Role-level read check, for code that already resolved the role (server projection). */
export function roleCanRead(role: Role, entity: Entity, field: string): boolean {
  if (ALWAYS_VISIBLE.has(field)) return access(entity, '*', role) !== '-';
  return access(entity, field, role) !== '-';
}

/** Role-level write check. */
export function roleCanWrite(role: Role, entity: Entity, field: string): boolean {
  if (ALWAYS_VISIBLE.has(field)) return access(entity, '*', role) === 'rw';
  return access(entity, field, role) === 'rw';
}

/** Fields of `entity` explicitly listed in the matrix that `role` may not read. */
export function hiddenFields(role: Role, entity: Entity): string[] {
  return Object.keys(MATRIX[entity]).filter((f) => f !== '*' && access(entity, f, role) === '-');
}

/** The document as `role` may see it: hidden fields are removed, never nulled or masked. */
export function project<T extends Record<string, unknown>>(role: Role, entity: Entity, doc: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (roleCanRead(role, entity, k)) out[k] = v;
  }
  return out as Partial<T>;
}
