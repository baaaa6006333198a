import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { Role } from '../../shared/access/policy.js';
import { Role as RoleSchema, roleCan } from '../../shared/access/policy.js';
import type { Grant, GrantList, TenantSummary } from '../../shared/api/grants.js';
import { GrantDecisionBody, GrantRequestBody, GrantStatus } from '../../shared/api/grants.js';
import { appendAudit } from '../audit/log.js';
import {
  membershipUnexpiredAt,
  membershipValidAt,
  withIdentity,
  withTenantSystemScope,
} from '../db/scope.js';
import type { DB, GrantRequestsTable } from '../db/types.js';
import { notifyControl } from '../sync/hub.js';
import { toIso } from '../sync/mapping.js';
import type { RouteContext } from './common.js';
import { auth, forbidden, parseOr400 } from './common.js';
import { HttpError } from './errors.js';

type GrantRow = Selectable<GrantRequestsTable> & { username: string };

/** The caller's roles in the tenants where a membership is valid at this instant. */
export async function liveRoles(
  tx: Kysely<DB>,
  userId: string,
  at: Date | undefined,
): Promise<Map<string, Role>> {
  const rows = await tx
    .selectFrom('memberships')
    .select(['tenant_id', 'role'])
    .where('user_id', '=', userId)
    .where(membershipValidAt(at))
    .execute();
  return new Map(rows.map((r) => [r.tenant_id, RoleSchema.parse(r.role)]));
}

const mayIn = (
  roles: Map<string, Role>,
  tenantId: string,
  action: Parameters<typeof roleCan>[1],
): boolean => {
  const r = roles.get(tenantId);
  return r !== undefined && roleCan(r, action);
};

function toGrant(row: GrantRow, callerId: string, roles: Map<string, Role>, now: Date): Grant {
  const status = GrantStatus.parse(row.status);
  const until = new Date(row.valid_until).getTime();
  const open = until > now.getTime();
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    username: row.username,
    role: RoleSchema.parse(row.role),
    validFrom: toIso(row.valid_from),
    validUntil: toIso(row.valid_until),
    reason: row.reason,
    status,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at === null ? null : toIso(row.decided_at),
    createdAt: toIso(row.created_at),
    canDecide:
      status === 'pending' &&
      open &&
      callerId !== row.requested_by &&
      callerId !== row.user_id &&
      mayIn(roles, row.tenant_id, 'grant:approve'),
    canRevoke: status === 'approved' && open && mayIn(roles, row.tenant_id, 'grant:revoke'),
  };
}

/** What the audit entry of a grant step records. */
const snapshot = (r: Selectable<GrantRequestsTable>): Record<string, unknown> => ({
  id: r.id,
  tenantId: r.tenant_id,
  userId: r.user_id,
  role: r.role,
  validFrom: toIso(r.valid_from),
  validUntil: toIso(r.valid_until),
  status: r.status,
  requestedBy: r.requested_by,
  decidedBy: r.decided_by,
});

function grantQuery(tx: Kysely<DB>) {
  return tx
    .selectFrom('grant_requests')
    .innerJoin('users', 'users.id', 'grant_requests.user_id')
    .selectAll('grant_requests')
    .select('users.username');
}

const GrantId = z.uuid();
const grantIdParam = (params: unknown): string => {
  const r = GrantId.safeParse((params as { id?: unknown }).id);
  if (!r.success) throw new HttpError(404, 'not_found', 'no such grant');
  return r.data;
};

/**
 * Temporary authorization. grant_requests and memberships are identity-level tables; every read
 * is filtered here by the caller's live rights. Each step's audit entry lives in the grant's
 * tenant and is written in the same transaction through withTenantSystemScope (app.tenant_ids =
 * exactly that tenant): the requester is by definition not a member there yet, and writing as
 * the app role under RLS keeps the owner connection out of request handling altogether.
 */
export function registerGrantRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { db } = ctx;

  app.get('/api/tenants', async (req): Promise<TenantSummary[]> => {
    await auth(ctx, req);
    return withIdentity(db, (tx) => tx.selectFrom('tenants').select(['id', 'name']).orderBy('id').execute());
  });

  app.post('/api/grants', async (req, reply) => {
    const a = await auth(ctx, req);
    const body = parseOr400(GrantRequestBody, req.body, 'grant request');
    const now = ctx.now();
    const at = ctx.at();
    if (Date.parse(body.validUntil) <= now.getTime())
      throw new HttpError(400, 'window_over', 'the requested window is already over');
    const grant = await withTenantSystemScope(db, body.tenantId, async (tx) => {
      const tenant = await tx
        .selectFrom('tenants')
        .select('id')
        .where('id', '=', body.tenantId)
        .executeTakeFirst();
      if (!tenant) throw new HttpError(400, 'unknown_tenant', 'no such tenant');
      const roles = await liveRoles(tx, a.userId, at);
      let granteeId = a.userId;
      if (body.username !== undefined) {
        if (!mayIn(roles, body.tenantId, 'grant:request-for-others'))
          throw forbidden('only an admin of the tenant may request for another user');
        const u = await tx
          .selectFrom('users')
          .select('id')
          .where('username', '=', body.username)
          .executeTakeFirst();
        if (!u) throw new HttpError(404, 'unknown_user', 'no such user');
        granteeId = u.id;
      }
      const member = await tx
        .selectFrom('memberships')
        .select('tenant_id')
        .where('user_id', '=', granteeId)
        .where('tenant_id', '=', body.tenantId)
        .where(membershipUnexpiredAt(at))
        .executeTakeFirst();
      if (member)
        throw new HttpError(409, 'already_member', 'the user already holds a membership in this tenant');
      const id = randomUUID();
      await tx
        .insertInto('grant_requests')
        .values({
          id,
          tenant_id: body.tenantId,
          user_id: granteeId,
          role: body.role,
          valid_from: body.validFrom,
          valid_until: body.validUntil,
          reason: body.reason,
          status: 'pending',
          requested_by: a.userId,
          decided_by: null,
          decided_at: null,
          decision_reason: null,
          created_at: now,
        })
        .execute();
      const row = await grantQuery(tx).where('grant_requests.id', '=', id).executeTakeFirstOrThrow();
      await appendAudit(tx, {
        tenantId: body.tenantId,
        actorId: a.userId,
        deviceId: a.deviceId,
        action: 'grant:request',
        entity: 'grant',
        entityId: id,
        after: snapshot(row),
        reason: body.reason,
        at: now,
      });
      return toGrant(row, a.userId, roles, now);
    });
    return reply.status(201).send(grant);
  });

  app.get('/api/grants', async (req): Promise<GrantList> => {
    const a = await auth(ctx, req);
    const now = ctx.now();
    return withIdentity(db, async (tx) => {
      const roles = await liveRoles(tx, a.userId, ctx.at());
      const approverOf = [...roles.keys()].filter((t) => mayIn(roles, t, 'grant:approve'));
      const rows = await grantQuery(tx)
        .where((eb) =>
          eb.or([
            eb('grant_requests.user_id', '=', a.userId),
            eb('grant_requests.requested_by', '=', a.userId),
            ...(approverOf.length > 0 ? [eb('grant_requests.tenant_id', 'in', approverOf)] : []),
          ]),
        )
        .orderBy('grant_requests.created_at', 'desc')
        .execute();
      return { grants: rows.map((r) => toGrant(r, a.userId, roles, now)) };
    });
  });

  type Step = 'approve' | 'reject' | 'revoke';
  const decide = async (step: Step, req: FastifyRequest): Promise<Grant> => {
    const a = await auth(ctx, req);
    const id = grantIdParam(req.params);
    const body = parseOr400(GrantDecisionBody, req.body ?? {}, 'decision');
    const now = ctx.now();
    const at = ctx.at();
    const tenantId = await withIdentity(db, async (tx) => {
      const r = await tx
        .selectFrom('grant_requests')
        .select('tenant_id')
        .where('id', '=', id)
        .executeTakeFirst();
      return r?.tenant_id;
    });
    if (tenantId === undefined) throw new HttpError(404, 'not_found', 'no such grant');
    return withTenantSystemScope(db, tenantId, async (tx) => {
      const row = await grantQuery(tx)
        .where('grant_requests.id', '=', id)
        .forUpdate('grant_requests')
        .executeTakeFirstOrThrow();
      const roles = await liveRoles(tx, a.userId, at);
      const before = snapshot(row);
      if (step === 'revoke') {
        if (!mayIn(roles, tenantId, 'grant:revoke'))
          throw forbidden('you may not revoke grants in this tenant');
        if (row.status !== 'approved')
          throw new HttpError(409, 'not_active', 'only an approved grant can be revoked');
        await tx
          .updateTable('memberships')
          .set({ valid_until: at ?? sql<Date>`now()` })
          .where('grant_id', '=', id)
          .where(sql<boolean>`(valid_until IS NULL OR valid_until > ${at ?? now}::timestamptz)`)
          .execute();
        await tx.updateTable('grant_requests').set({ status: 'revoked' }).where('id', '=', id).execute();
        await notifyControl(tx, { control: 'membership-revoked', tenantId, userId: row.user_id });
      } else {
        if (a.userId === row.requested_by || a.userId === row.user_id)
          throw forbidden('nobody approves or rejects their own request', 'self_approval');
        if (!mayIn(roles, tenantId, 'grant:approve'))
          throw forbidden('you may not decide grants in this tenant');
        if (row.status !== 'pending')
          throw new HttpError(409, 'not_pending', 'the request was already decided');
        if (step === 'approve') {
          if (new Date(row.valid_until).getTime() <= now.getTime())
            throw new HttpError(409, 'window_over', 'the requested window is already over');
          const member = await tx
            .selectFrom('memberships')
            .select('tenant_id')
            .where('user_id', '=', row.user_id)
            .where('tenant_id', '=', tenantId)
            .where(membershipUnexpiredAt(at))
            .executeTakeFirst();
          if (member)
            throw new HttpError(409, 'already_member', 'the user already holds a membership in this tenant');
          // One row per (user, tenant): an expired earlier membership is replaced, its version grows.
          await tx
            .insertInto('memberships')
            .values({
              user_id: row.user_id,
              tenant_id: tenantId,
              role: row.role,
              valid_from: row.valid_from,
              valid_until: row.valid_until,
              policy_version: 1,
              grant_id: id,
            })
            .onConflict((oc) =>
              oc.columns(['user_id', 'tenant_id']).doUpdateSet({
                role: sql`excluded.role`,
                valid_from: sql`excluded.valid_from`,
                valid_until: sql`excluded.valid_until`,
                grant_id: sql`excluded.grant_id`,
                first_access_at: null,
                policy_version: sql`memberships.policy_version + 1`,
              }),
            )
            .execute();
        }
        await tx
          .updateTable('grant_requests')
          .set({
            status: step === 'approve' ? 'approved' : 'rejected',
            decided_by: a.userId,
            decided_at: now,
            decision_reason: body.reason ?? null,
          })
          .where('id', '=', id)
          .execute();
      }
      const after = await grantQuery(tx).where('grant_requests.id', '=', id).executeTakeFirstOrThrow();
      await appendAudit(tx, {
        tenantId,
        actorId: a.userId,
        deviceId: a.deviceId,
        action: `grant:${step}`,
        entity: 'grant',
        entityId: id,
        before,
        after: snapshot(after),
        reason: body.reason ?? null,
        at: now,
      });
      return toGrant(after, a.userId, roles, now);
    });
  };

  app.post('/api/grants/:id/approve', (req) => decide('approve', req));
  app.post('/api/grants/:id/reject', (req) => decide('reject', req));
  app.post('/api/grants/:id/revoke', (req) => decide('revoke', req));
}
