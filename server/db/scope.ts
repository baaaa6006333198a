import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import type { Role } from '../../shared/access/policy.js';
import { Role as RoleSchema } from '../../shared/access/policy.js';
import { notAMember } from '../http/errors.js';
import type { Database, DB } from './types.js';

export type TenantScope = { role: Role; tenantId: string; userId: string; policyVersion: number };

/** A SQL condition "valid at this instant" over memberships, with the DB clock as the only clock. */
export const membershipValidNow = sql<boolean>`(valid_from IS NULL OR valid_from <= now()) AND (valid_until IS NULL OR valid_until > now())`;

/**
 * Runs `fn` in one transaction as the app role. On PGlite the single session is a superuser, so
 * the role is dropped with SET LOCAL ROLE (undone at commit/rollback, never leaks to the next user
 * of the connection).
 */
export async function withAppTransaction<T>(
  db: Database,
  fn: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return db.app.transaction().execute(async (tx) => {
    if (db.kind === 'pglite') await sql`SET LOCAL ROLE bulkhead_app`.execute(tx);
    return fn(tx);
  });
}

/**
 * The only way request code touches tenant data: one transaction whose `app.tenant_ids` are the
 * user's memberships valid right now (read in the same transaction), so RLS filters every
 * statement even if a query forgets its explicit `tenant_id` filter.
 */
export async function withTenantScope<T>(
  db: Database,
  userId: string,
  tenantId: string,
  fn: (tx: Transaction<DB>, scope: TenantScope) => Promise<T>,
): Promise<T> {
  return withAppTransaction(db, async (tx) => {
    const memberships = await tx
      .selectFrom('memberships')
      .select(['tenant_id', 'role', 'policy_version'])
      .where('user_id', '=', userId)
      .where(membershipValidNow)
      .execute();
    const ids = memberships.map((m) => m.tenant_id);
    // is_local = true: the setting dies with the transaction, like SET LOCAL (which takes no binds).
    await sql`SELECT set_config('app.tenant_ids', ${ids.join(',')}, true)`.execute(tx);
    const m = memberships.find((x) => x.tenant_id === tenantId);
    if (!m) throw notAMember();
    const role = RoleSchema.parse(m.role);
    return fn(tx, { role, tenantId, userId, policyVersion: Number(m.policy_version) });
  });
}

/** Current sequence of a tenant, read inside a scope. */
export async function currentSeq(tx: Kysely<DB>, tenantId: string): Promise<number> {
  const row = await tx
    .selectFrom('tenant_seq')
    .select('last_seq')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? Number(row.last_seq) : 0;
}
