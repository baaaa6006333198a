import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { roleCan } from '../../shared/access/policy.js';
import type { Alert, AlertList, LocalAlertsAnswer } from '../../shared/api/alerts.js';
import { AlertsQuery, LocalAlertsBody } from '../../shared/api/alerts.js';
import type { WebhookConfig } from '../alerts/service.js';
import { alertRowToAlert, storeAlerts } from '../alerts/service.js';
import { appendAudit } from '../audit/log.js';
import { withTenantScope } from '../db/scope.js';
import type { RouteContext } from './common.js';
import { auth, forbidden, parseOr400, tenantParam } from './common.js';
import { HttpError } from './errors.js';

const AlertId = z.uuid();

/** What the alert routes need besides the route context. */
export type AlertRouteDeps = { webhook: WebhookConfig | null; raised: (alerts: Alert[]) => void };

/** Anomaly alerts: the list and acknowledgement (managers, admins), and alerts raised offline. */
export function registerAlertRoutes(app: FastifyInstance, ctx: RouteContext, deps: AlertRouteDeps): void {
  const { db } = ctx;

  app.get('/api/t/:tenant/alerts', async (req): Promise<AlertList> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const q = parseOr400(AlertsQuery, req.query ?? {}, 'query');
    return withTenantScope(
      db,
      a.userId,
      tenant,
      async (tx, scope) => {
        if (!roleCan(scope.role, 'alerts:read')) throw forbidden('only managers and admins see alerts');
        let query = tx
          .selectFrom('alerts')
          .selectAll()
          .where('tenant_id', '=', tenant)
          .orderBy('raised_at', 'desc')
          .orderBy('id')
          .limit(q.limit);
        if (q.open === '1') query = query.where('acknowledged_at', 'is', null);
        return { alerts: (await query.execute()).map(alertRowToAlert) };
      },
      { at: ctx.at() },
    );
  });

  app.post('/api/t/:tenant/alerts/:id/ack', async (req): Promise<Alert> => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const id = AlertId.safeParse((req.params as { id?: unknown }).id);
    if (!id.success) throw new HttpError(404, 'not_found', 'no such alert');
    parseOr400(z.object({}).strict(), req.body ?? {}, 'acknowledgement');
    const now = ctx.now();
    return withTenantScope(
      db,
      a.userId,
      tenant,
      async (tx, scope) => {
        if (!roleCan(scope.role, 'alerts:read'))
          throw forbidden('only managers and admins acknowledge alerts');
        const row = await tx
          .selectFrom('alerts')
          .selectAll()
          .where('tenant_id', '=', tenant)
          .where('id', '=', id.data)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw new HttpError(404, 'not_found', 'no such alert');
        if (row.acknowledged_at !== null) return alertRowToAlert(row);
        const updated = await tx
          .updateTable('alerts')
          .set({ acknowledged_by: a.userId, acknowledged_at: now })
          .where('tenant_id', '=', tenant)
          .where('id', '=', id.data)
          .returningAll()
          .executeTakeFirstOrThrow();
        const before = alertRowToAlert(row);
        const after = alertRowToAlert(updated);
        await appendAudit(tx, {
          tenantId: tenant,
          actorId: a.userId,
          deviceId: a.deviceId,
          action: 'alert:ack',
          entity: 'alert',
          entityId: id.data,
          before,
          after,
          at: now,
        });
        return after;
      },
      { at: ctx.at() },
    );
  });

  app.post('/api/t/:tenant/alerts/local', async (req, reply) => {
    const a = await auth(ctx, req);
    const tenant = tenantParam(req);
    const body = parseOr400(LocalAlertsBody, req.body, 'local alerts');
    const now = ctx.now();
    const out = await withTenantScope(
      db,
      a.userId,
      tenant,
      async (tx): Promise<LocalAlertsAnswer & { raised: Alert[] }> => {
        for (const d of body.alerts) {
          if (d.tenantId !== tenant)
            throw new HttpError(400, 'wrong-tenant', 'an alert names another tenant than the route');
          if (d.userId !== a.userId)
            throw new HttpError(403, 'actor-mismatch', 'a PC reports alerts about the signed-in user only');
        }
        const { alerts, raised } = await storeAlerts(tx, tenant, body.alerts, 'client', now, deps.webhook);
        return { alerts, raised };
      },
      { at: ctx.at() },
    );
    deps.raised(out.raised);
    return reply.status(201).send({ alerts: out.alerts });
  });
}
