import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Entity, project, roleCan } from '../../shared/access/policy.js';
import type { AuditChainPage, AuditPage, AuditVerifyAnswer } from '../../shared/api/audit.js';
import { AuditChainQuery, AuditQuery, AuditRecordBody } from '../../shared/api/audit.js';
import { appendAudits, readAudit, readChain, verifyTenantChain } from '../audit/log.js';
import type { NewAuditEntry } from '../audit/log.js';
import { withTenantScope } from '../db/scope.js';
import type { RouteContext } from './common.js';
import { auth, forbidden, parseOr400, tenantParam } from './common.js';
import { HttpError } from './errors.js';

/**
 * The audit log: the reader (filters, snapshots projected for the reader, chain fields for
 * linkage checks), one-click verification over full entries, the chain for the command-line
 * verifier, and audit-only records (a user discarding a rejected local change).
 */
export function registerAuditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { db } = ctx;

  app.get('/api/t/:tenant/audit', async (req): Promise<AuditPage> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const q = parseOr400(AuditQuery, req.query ?? {}, 'query');
    return withTenantScope(
      db,
      a.userId,
      tenant,
      (tx, scope) =>
        // Readers with audit rights see the tenant's entries; everyone else (operators) their own.
        readAudit(
          tx,
          {
            tenantId: tenant,
            userId: a.userId,
            role: scope.role,
            policy: scope.policy,
            ownOnly: !roleCan(scope.role, 'audit:read'),
          },
          q,
        ),
      { at: ctx.at() },
    );
  });

  app.get('/api/t/:tenant/audit/verify', async (req): Promise<AuditVerifyAnswer> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    parseOr400(z.object({}).strict(), req.query ?? {}, 'query');
    return withTenantScope(
      db,
      a.userId,
      tenant,
      async (tx, scope) => {
        if (!roleCan(scope.role, 'audit:verify')) throw forbidden('your role may not verify the audit chain');
        return verifyTenantChain(tx, tenant);
      },
      { at: ctx.at() },
    );
  });

  app.get('/api/t/:tenant/audit/chain', async (req): Promise<AuditChainPage> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const q = parseOr400(AuditChainQuery, req.query ?? {}, 'query');
    return withTenantScope(
      db,
      a.userId,
      tenant,
      async (tx, scope) => {
        if (!roleCan(scope.role, 'audit:verify')) throw forbidden('your role may not read the audit chain');
        return readChain(tx, tenant, q.afterSeq, q.limit);
      },
      { at: ctx.at() },
    );
  });

  app.post('/api/t/:tenant/audit', async (req, reply) => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const body = parseOr400(AuditRecordBody, req.body, 'audit records');
    const now = ctx.now();
    const recorded = await withTenantScope(
      db,
      a.userId,
      tenant,
      async (tx, scope) => {
        for (const e of body.entries) {
          if (e.action !== 'discard')
            throw new HttpError(
              400,
              'invalid_action',
              "only 'discard' entries are recorded here; changes carry theirs in the push",
            );
          if (e.actorId !== a.userId)
            throw new HttpError(
              403,
              'actor-mismatch',
              `audit entry ${e.id} names ${e.actorId} as the actor, but ${a.userId} is signed in`,
            );
        }
        const ids = body.entries.map((e) => e.id);
        const known = new Set(
          (
            await tx
              .selectFrom('audit_log')
              .select('id')
              .where('tenant_id', '=', tenant)
              .where('id', 'in', ids)
              .execute()
          ).map((r) => r.id.toLowerCase()),
        );
        const seen = new Set<string>();
        const entries: NewAuditEntry[] = [];
        for (const e of body.entries) {
          // A retried record is recorded once.
          if (known.has(e.id.toLowerCase()) || seen.has(e.id.toLowerCase())) continue;
          seen.add(e.id.toLowerCase());
          const entity = Entity.safeParse(e.entity);
          // The discarded local version, limited to what the writer may see (never a planted hidden value).
          const local =
            e.localVersion && entity.success
              ? project(scope.role, entity.data, e.localVersion, scope.policy.overrides)
              : (e.localVersion ?? null);
          entries.push({
            tenantId: tenant,
            id: e.id,
            actorId: a.userId,
            deviceId: e.deviceId,
            deviceTime: new Date(Math.min(Date.parse(e.deviceTime), now.getTime())),
            action: 'discard',
            entity: e.entity,
            entityId: e.entityId,
            before: local,
            after: null,
            reason: e.reason,
            confirmation: e.confirmation,
            compensates: e.compensates ?? null,
            at: now,
          });
        }
        await appendAudits(tx, entries);
        return entries.length;
      },
      { at: ctx.at() },
    );
    return reply.status(201).send({ recorded });
  });
}
