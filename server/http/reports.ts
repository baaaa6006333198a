import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Transaction } from 'kysely';
import { DEFAULT_TENANT_SETTINGS, roleCan } from '../../shared/access/policy.js';
import type { Action } from '../../shared/access/policy.js';
import type { Alert } from '../../shared/api/alerts.js';
import type { ExportFormat, ReportFilters, ReportResult } from '../../shared/api/reports.js';
import {
  CrossTenantExportQuery,
  CrossTenantQuery,
  EXPORT_ROW_CAP,
  ExportQuery,
  REPORT_ROW_CAP,
  ReportName,
  TenantReportQuery,
} from '../../shared/api/reports.js';
import { recordActivity } from '../alerts/service.js';
import { appendAudit } from '../audit/log.js';
import type { UserScope } from '../db/scope.js';
import type { DB } from '../db/types.js';
import { withUserScope } from '../db/scope.js';
import { CONTENT_TYPE, toCsv, toXlsx } from '../reports/export.js';
import { refusal, runReport } from '../reports/registry.js';
import type { AuthContext } from '../auth/service.js';
import type { RouteContext } from './common.js';
import { auth, forbidden, parseOr400, tenantParam } from './common.js';
import { HttpError, notAMember } from './errors.js';

const reportParam = (params: unknown): ReportName => {
  const r = ReportName.safeParse((params as { report?: unknown }).report);
  if (!r.success) throw new HttpError(404, 'not_found', 'no such report');
  return r.data;
};

const tenantList = (s: string): string[] => [...new Set(s.split(','))];

/** Filters without the routing members of the query. */
function filtersOf(q: ReportFilters & { tenants?: string; format?: string }): ReportFilters {
  const { tenants: _t, format: _f, ...filters } = q;
  return filters;
}

/**
 * Rights of the caller for one tenant (per-tenant routes): a member with `action`, and the report's
 * own field requirement (valuation needs purchase-price read).
 */
function checkOne(scope: UserScope, tenant: string, action: Action, report: ReportName, what: string): void {
  const m = scope.roles.get(tenant);
  if (!m) throw notAMember();
  if (!roleCan(m.role, action)) throw forbidden(what);
  const no = refusal(report, scope, [tenant]);
  if (no) throw forbidden(no);
}

/**
 * Rights across tenants: one answer for every refusal, naming no tenant — a caller learns nothing
 * about which failed.
 */
function checkMany(scope: UserScope, tenants: string[], actions: Action[], report: ReportName): void {
  const ok = tenants.every((t) => {
    const m = scope.roles.get(t);
    return m !== undefined && actions.every((a) => roleCan(m.role, a));
  });
  if (!ok) throw forbidden('you may not run this report across these tenants');
  const no = refusal(report, scope, tenants);
  if (no) throw forbidden(no);
}

/**
 * Audits an export in every tenant it covers (who, which report, filters, format, that tenant's
 * row count, columns) and counts it for the off-hours rule.
 */
async function auditExport(
  ctx: RouteContext,
  tx: Transaction<DB>,
  scope: UserScope,
  a: AuthContext,
  { result, counts }: { result: ReportResult; counts: Record<string, number> },
  format: ExportFormat,
  now: Date,
): Promise<Alert[]> {
  const raised: Alert[] = [];
  // Sorted: two concurrent exports lock the tenants' chain heads in the same order.
  for (const tenant of [...result.tenants].sort()) {
    await appendAudit(tx, {
      tenantId: tenant,
      actorId: a.userId,
      deviceId: a.deviceId,
      action: 'export',
      entity: 'report',
      entityId: result.report,
      after: {
        report: result.report,
        format,
        filters: result.filters ?? {},
        rows: counts[tenant] ?? 0,
        totalRows: result.rows.length,
        tenants: result.tenants,
        columns: result.columns.map((c) => c.key),
        ...(result.truncated ? { truncated: true } : {}),
      },
      at: now,
    });
    raised.push(
      ...(await recordActivity(
        tx,
        tenant,
        scope.policies[tenant]?.settings ?? DEFAULT_TENANT_SETTINGS,
        [{ tenantId: tenant, userId: a.userId, at: now.toISOString(), kind: 'export' }],
        now,
        ctx.alerts.webhook,
      )),
    );
  }
  return raised;
}

async function sendExport(
  reply: FastifyReply,
  result: ReportResult,
  format: ExportFormat,
  label: string,
  now: Date,
): Promise<FastifyReply> {
  const stamp = now.toISOString().slice(0, 10);
  const body = format === 'xlsx' ? await toXlsx(result, result.report) : toCsv(result);
  return reply
    .header('content-type', CONTENT_TYPE[format])
    .header('content-disposition', `attachment; filename="${result.report}-${label}-${stamp}.${format}"`)
    .header('content-length', String(Buffer.byteLength(body)))
    .header('cache-control', 'no-store')
    .send(body);
}

/** Reports and exports: every cell goes through the shared policy. */
export function registerReportRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { db } = ctx;

  app.get('/api/t/:tenant/reports/:report', async (req): Promise<ReportResult> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const report = reportParam(req.params);
    const q = parseOr400(TenantReportQuery, req.query ?? {}, 'query');
    return withUserScope(
      db,
      a.userId,
      async (tx, scope) => {
        checkOne(scope, tenant, 'report:read', report, 'your role may not read reports');
        return (await runReport(tx, scope, report, [tenant], filtersOf(q), REPORT_ROW_CAP)).result;
      },
      { at: ctx.at() },
    );
  });

  app.get('/api/reports/:report', async (req): Promise<ReportResult> => {
    const a = await auth(ctx, req);
    const report = reportParam(req.params);
    const q = parseOr400(CrossTenantQuery, req.query, 'query');
    const tenants = tenantList(q.tenants);
    return withUserScope(
      db,
      a.userId,
      async (tx, scope) => {
        checkMany(scope, tenants, ['report:cross-tenant'], report);
        return (await runReport(tx, scope, report, tenants, filtersOf(q), REPORT_ROW_CAP)).result;
      },
      { at: ctx.at() },
    );
  });

  app.get('/api/t/:tenant/export/:report', async (req, reply) => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const report = reportParam(req.params);
    const rawFormat = (req.query as { format?: unknown } | undefined)?.format;
    if (rawFormat !== undefined && rawFormat !== 'csv' && rawFormat !== 'xlsx')
      throw new HttpError(400, 'unsupported_format', 'format must be csv or xlsx');
    const q = parseOr400(ExportQuery, req.query ?? {}, 'query');
    const now = ctx.now();
    let raised: Alert[] = [];
    const result = await withUserScope(
      db,
      a.userId,
      async (tx, scope) => {
        checkOne(scope, tenant, 'export', report, 'your role may not export');
        const r = await runReport(tx, scope, report, [tenant], filtersOf(q), EXPORT_ROW_CAP);
        raised = await auditExport(ctx, tx, scope, a, r, q.format, now);
        return r.result;
      },
      { at: ctx.at() },
    );
    ctx.alerts.raised(raised);
    return sendExport(reply, result, q.format, tenant, now);
  });

  app.get('/api/export/:report', async (req, reply) => {
    const a = await auth(ctx, req);
    const report = reportParam(req.params);
    const q = parseOr400(CrossTenantExportQuery, req.query, 'query');
    const tenants = tenantList(q.tenants);
    const now = ctx.now();
    let raised: Alert[] = [];
    const result = await withUserScope(
      db,
      a.userId,
      async (tx, scope) => {
        checkMany(scope, tenants, ['report:cross-tenant', 'export'], report);
        const r = await runReport(tx, scope, report, tenants, filtersOf(q), EXPORT_ROW_CAP);
        raised = await auditExport(ctx, tx, scope, a, r, q.format, now);
        return r.result;
      },
      { at: ctx.at() },
    );
    ctx.alerts.raised(raised);
    return sendExport(reply, result, q.format, tenants.join('+'), now);
  });
}
