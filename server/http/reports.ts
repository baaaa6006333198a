import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { Role } from '../../shared/access/policy.js';
import { DEFAULT_TENANT_SETTINGS, roleCan } from '../../shared/access/policy.js';
import type { Alert } from '../../shared/api/alerts.js';
import type { ReportResult } from '../../shared/api/reports.js';
import { CrossTenantQuery, ExportQuery, ReportName } from '../../shared/api/reports.js';
import { recordActivity } from '../alerts/service.js';
import { appendAudit } from '../audit/log.js';
import type { UserScope } from '../db/scope.js';
import type { DB } from '../db/types.js';
import { withUserScope } from '../db/scope.js';
import { inventoryLines, projectInventory, toCsv } from '../reports/inventory.js';
import type { RouteContext } from './common.js';
import { auth, forbidden, parseOr400, tenantParam } from './common.js';
import { HttpError, notAMember } from './errors.js';

const reportParam = (params: unknown): ReportName => {
  const r = ReportName.safeParse((params as { report?: unknown }).report);
  if (!r.success) throw new HttpError(404, 'not_found', 'no such report');
  return r.data;
};

/** Builds the inventory report for `tenants` inside a user scope, after the caller checked rights. */
async function inventory(tx: Transaction<DB>, scope: UserScope, tenants: string[]): Promise<ReportResult> {
  const roles = new Map<string, Role>();
  for (const t of tenants) {
    const r = scope.roles.get(t);
    if (r) roles.set(t, r.role);
  }
  const lines = await inventoryLines(tx, tenants);
  return projectInventory(lines, tenants, roles, scope.policies);
}

/** Reports and exports: every cell goes through the shared policy. */
export function registerReportRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { db } = ctx;

  app.get('/api/t/:tenant/reports/:report', async (req): Promise<ReportResult> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    reportParam(req.params);
    parseOr400(z.object({}).strict(), req.query ?? {}, 'query');
    return withUserScope(
      db,
      a.userId,
      async (tx, scope) => {
        const m = scope.roles.get(tenant);
        if (!m) throw notAMember();
        if (!roleCan(m.role, 'report:read')) throw forbidden('your role may not read reports');
        return inventory(tx, scope, [tenant]);
      },
      { at: ctx.at() },
    );
  });

  app.get('/api/reports/:report', async (req): Promise<ReportResult> => {
    const a = await auth(ctx, req);
    reportParam(req.params);
    const q = parseOr400(CrossTenantQuery, req.query, 'query');
    const tenants = [...new Set(q.tenants.split(','))];
    return withUserScope(
      db,
      a.userId,
      async (tx, scope) => {
        // One answer for every refusal, naming no tenant: a caller learns nothing about which failed.
        const ok = tenants.every((t) => {
          const m = scope.roles.get(t);
          return m !== undefined && roleCan(m.role, 'report:cross-tenant');
        });
        if (!ok) throw forbidden('you may not run this report across these tenants');
        return inventory(tx, scope, tenants);
      },
      { at: ctx.at() },
    );
  });

  app.get('/api/t/:tenant/export/:report', async (req, reply) => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const report = reportParam(req.params);
    const rawFormat = (req.query as { format?: unknown } | undefined)?.format;
    if (rawFormat !== undefined && rawFormat !== 'csv')
      throw new HttpError(400, 'unsupported_format', 'only format=csv is available');
    const q = parseOr400(ExportQuery, req.query ?? {}, 'query');
    const now = ctx.now();
    let raised: Alert[] = [];
    const csv = await withUserScope(
      db,
      a.userId,
      async (tx, scope) => {
        const m = scope.roles.get(tenant);
        if (!m) throw notAMember();
        if (!roleCan(m.role, 'export')) throw forbidden('your role may not export');
        const result = await inventory(tx, scope, [tenant]);
        await appendAudit(tx, {
          tenantId: tenant,
          actorId: a.userId,
          deviceId: a.deviceId,
          action: 'export',
          entity: 'report',
          entityId: report,
          after: {
            report,
            format: q.format,
            rows: result.rows.length,
            columns: result.columns.map((c) => c.key),
          },
          at: now,
        });
        // Exports count for the off-hours rule.
        raised = await recordActivity(
          tx,
          tenant,
          scope.policies[tenant]?.settings ?? DEFAULT_TENANT_SETTINGS,
          [{ tenantId: tenant, userId: a.userId, at: now.toISOString(), kind: 'export' }],
          now,
          ctx.alerts.webhook,
        );
        return toCsv(result);
      },
      { at: ctx.at() },
    );
    ctx.alerts.raised(raised);
    const stamp = now.toISOString().slice(0, 10);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${report}-${tenant}-${stamp}.csv"`)
      .header('cache-control', 'no-store')
      .send(csv);
  });
}
