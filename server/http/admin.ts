import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import type { TenantPolicy } from '../../shared/access/policy.js';
import { checkOverrides, Role as RoleSchema, roleCan } from '../../shared/access/policy.js';
import type { Member } from '../../shared/api/grants.js';
import { MemberUpdateBody } from '../../shared/api/grants.js';
import { PolicyUpdateBody } from '../../shared/api/policy.js';
import { appendAudit } from '../audit/log.js';
import type { TenantScope } from '../db/scope.js';
import { membershipUnexpiredAt, policyOf, withTenantScope } from '../db/scope.js';
import type { DB } from '../db/types.js';
import { notifyControl } from '../sync/hub.js';
import { toIso } from '../sync/mapping.js';
import type { RouteContext } from './common.js';
import { auth, forbidden, parseOr400, tenantParam } from './common.js';
import { HttpError } from './errors.js';

const userIdParam = (params: unknown): string => {
  const v = (params as { userId?: unknown }).userId;
  if (typeof v !== 'string' || v.length === 0 || v.length > 128)
    throw new HttpError(404, 'not_a_member', 'no such member');
  return v;
};

async function members(tx: Kysely<DB>, scope: TenantScope, userId?: string): Promise<Member[]> {
  let q = tx
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select([
      'memberships.user_id',
      'memberships.role',
      'memberships.valid_from',
      'memberships.valid_until',
      'memberships.policy_version',
      'users.username',
      'users.display_name',
    ])
    .where('memberships.tenant_id', '=', scope.tenantId)
    .where(membershipUnexpiredAt(scope.at))
    .orderBy('users.username');
  if (userId !== undefined) q = q.where('memberships.user_id', '=', userId);
  const rows = await q.execute();
  return rows.map((r) => ({
    userId: r.user_id,
    username: r.username,
    displayName: r.display_name,
    role: RoleSchema.parse(r.role),
    validFrom: r.valid_from === null ? null : toIso(r.valid_from),
    validUntil: r.valid_until === null ? null : toIso(r.valid_until),
    policyVersion: Number(r.policy_version) + scope.policy.version,
  }));
}

/**
 * Tenant administration: members and roles, and the field policy. Membership administration is
 * the admin's (the matrix row "memberships, grants, field policies: rw for admin"), expressed
 * with the shared action `policy:edit`; those who approve grants (`grant:approve`) may see the
 * member list.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { db } = ctx;
  const scoped = <T>(
    userId: string,
    tenant: string,
    fn: (tx: Transaction<DB>, s: TenantScope) => Promise<T>,
  ): Promise<T> => withTenantScope(db, userId, tenant, fn, { at: ctx.at() });

  app.get('/api/t/:tenant/members', async (req): Promise<Member[]> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    return scoped(a.userId, tenant, async (tx, scope) => {
      if (!roleCan(scope.role, 'grant:approve')) throw forbidden('only admins and managers see the members');
      return members(tx, scope);
    });
  });

  app.put('/api/t/:tenant/members/:userId', async (req): Promise<Member> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const target = userIdParam(req.params);
    const body = parseOr400(MemberUpdateBody, req.body, 'member update');
    return scoped(a.userId, tenant, async (tx, scope) => {
      if (!roleCan(scope.role, 'policy:edit')) throw forbidden('only admins change roles');
      if (target === a.userId) throw forbidden('you cannot change your own role', 'self_change');
      const [current] = await members(tx, scope, target);
      if (!current) throw new HttpError(404, 'not_a_member', 'no such member');
      if (current.role === body.role) return current;
      await tx
        .updateTable('memberships')
        .set({ role: body.role, policy_version: sql`policy_version + 1` })
        .where('tenant_id', '=', tenant)
        .where('user_id', '=', target)
        .execute();
      await appendAudit(tx, {
        tenantId: tenant,
        actorId: a.userId,
        deviceId: a.deviceId,
        action: 'membership:role',
        entity: 'membership',
        entityId: target,
        before: { userId: target, role: current.role },
        after: { userId: target, role: body.role },
        at: ctx.now(),
      });
      await notifyControl(tx, { control: 'policy-changed', tenantId: tenant, userId: target });
      const [updated] = await members(tx, scope, target);
      if (!updated) throw new Error('member vanished');
      return updated;
    });
  });

  app.delete('/api/t/:tenant/members/:userId', async (req, reply) => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const target = userIdParam(req.params);
    await scoped(a.userId, tenant, async (tx, scope) => {
      if (!roleCan(scope.role, 'policy:edit')) throw forbidden('only admins remove members');
      if (target === a.userId) throw forbidden('you cannot remove yourself', 'self_change');
      const [current] = await members(tx, scope, target);
      if (!current) throw new HttpError(404, 'not_a_member', 'no such member');
      const at = ctx.at();
      await tx
        .updateTable('memberships')
        .set({ valid_until: at ?? sql<Date>`now()`, policy_version: sql`policy_version + 1` })
        .where('tenant_id', '=', tenant)
        .where('user_id', '=', target)
        .execute();
      await appendAudit(tx, {
        tenantId: tenant,
        actorId: a.userId,
        deviceId: a.deviceId,
        action: 'membership:remove',
        entity: 'membership',
        entityId: target,
        before: { userId: target, role: current.role, validUntil: current.validUntil },
        after: null,
        at: ctx.now(),
      });
      await notifyControl(tx, { control: 'membership-revoked', tenantId: tenant, userId: target });
    });
    return reply.status(204).send();
  });

  app.get('/api/t/:tenant/policy', async (req): Promise<TenantPolicy> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    return scoped(a.userId, tenant, (_tx, scope) => Promise.resolve(scope.policy));
  });

  app.put('/api/t/:tenant/policy', async (req): Promise<TenantPolicy> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const body = parseOr400(PolicyUpdateBody, req.body, 'policy');
    return scoped(a.userId, tenant, async (tx, scope) => {
      if (!roleCan(scope.role, 'policy:edit')) throw forbidden('only admins edit the field policy');
      const problems = checkOverrides(body.overrides);
      if (problems.length > 0)
        throw new HttpError(
          400,
          'invalid_policy',
          `the overrides are not allowed: ${problems.join('; ')}`,
          problems,
        );
      // Lock the row so two admins cannot both pass the version check.
      await tx
        .insertInto('tenant_policies')
        .values({ tenant_id: tenant, overrides: '{}', settings: '{}' })
        .onConflict((oc) => oc.column('tenant_id').doNothing())
        .execute();
      await tx
        .selectFrom('tenant_policies')
        .select('version')
        .where('tenant_id', '=', tenant)
        .forUpdate()
        .execute();
      const before = await policyOf(tx, tenant);
      if (before.version !== body.expectedVersion)
        throw new HttpError(409, 'stale_version', 'the policy changed meanwhile; reload and edit again', {
          version: before.version,
        });
      await tx
        .updateTable('tenant_policies')
        .set({
          version: sql`version + 1`,
          overrides: JSON.stringify(body.overrides),
          settings: JSON.stringify(body.settings),
        })
        .where('tenant_id', '=', tenant)
        .execute();
      const after = await policyOf(tx, tenant);
      await appendAudit(tx, {
        tenantId: tenant,
        actorId: a.userId,
        deviceId: a.deviceId,
        action: 'policy:edit',
        entity: 'policy',
        entityId: tenant,
        before,
        after,
        reason: body.reason,
        at: ctx.now(),
      });
      await notifyControl(tx, { control: 'policy-changed', tenantId: tenant });
      return after;
    });
  });
}
