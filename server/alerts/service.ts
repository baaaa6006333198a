import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { TenantSettings } from '../../shared/access/policy.js';
import type { ActivityEvent, AlertDraft } from '../../shared/alerts/rules.js';
import { alertLookbackMs, AlertRule, evaluateAlerts } from '../../shared/alerts/rules.js';
import type { Alert, AlertWebhookBody } from '../../shared/api/alerts.js';
import { CHANGES_CHANNEL } from '../db/connect.js';
import type { AlertsTable, DB } from '../db/types.js';
import { toIso } from '../sync/mapping.js';

/** Where alerts go out (env BULKHEAD_ALERT_WEBHOOK_URL / _SECRET); null: no webhook. */
export type WebhookConfig = { url: string; secret: string; backoffMs?: number[] };

export function alertRowToAlert(r: Selectable<AlertsTable>): Alert {
  const detail = typeof r.detail === 'string' ? (JSON.parse(r.detail) as unknown) : r.detail;
  return {
    id: r.id,
    tenantId: r.tenant_id,
    rule: AlertRule.parse(r.rule),
    userId: r.user_id,
    raisedAt: toIso(r.raised_at),
    windowStart: toIso(r.window_start),
    windowEnd: toIso(r.window_end),
    count: Number(r.count),
    detail: (detail ?? {}) as Record<string, unknown>,
    source: r.source === 'client' ? 'client' : 'server',
    dedupKey: r.dedup_key,
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: r.acknowledged_at === null ? null : toIso(r.acknowledged_at),
  };
}

/**
 * Stores drafts of one tenant, one alert per dedup key. A new alert is announced on the stream
 * (at commit) and queued for the webhook in the same transaction; a known one only grows (count,
 * window end). Returns every draft's stored alert and which of them are new.
 */
export async function storeAlerts(
  tx: Kysely<DB>,
  tenantId: string,
  drafts: readonly AlertDraft[],
  source: 'server' | 'client',
  now: Date,
  webhook: WebhookConfig | null,
): Promise<{ alerts: Alert[]; raised: Alert[] }> {
  const alerts: Alert[] = [];
  const raised: Alert[] = [];
  for (const d of drafts) {
    const inserted = await tx
      .insertInto('alerts')
      .values({
        tenant_id: tenantId,
        id: randomUUID(),
        rule: d.rule,
        user_id: d.userId,
        raised_at: now,
        window_start: d.windowStart,
        window_end: d.windowEnd,
        count: d.count,
        detail: JSON.stringify(d.detail),
        source,
        acknowledged_by: null,
        acknowledged_at: null,
        dedup_key: d.dedupKey,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'dedup_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      const a = alertRowToAlert(inserted);
      alerts.push(a);
      raised.push(a);
      const payload = JSON.stringify({ alert: true, tenantId, alertId: a.id, rule: a.rule });
      await sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${payload})`.execute(tx);
      if (webhook) {
        const body: AlertWebhookBody = { type: 'alert', alert: a };
        await tx
          .insertInto('alert_deliveries')
          .values({
            id: randomUUID(),
            tenant_id: tenantId,
            alert_id: a.id,
            url: webhook.url,
            body: JSON.stringify(body),
            status: 'pending',
            next_attempt_at: new Date(),
            last_error: null,
            created_at: new Date(),
            delivered_at: null,
          })
          .execute();
      }
      continue;
    }
    const updated = await tx
      .updateTable('alerts')
      .set({
        count: sql<number>`greatest(count, ${d.count})`,
        window_end: sql<Date>`greatest(window_end, ${d.windowEnd}::timestamptz)`,
      })
      .where('tenant_id', '=', tenantId)
      .where('dedup_key', '=', d.dedupKey)
      .returningAll()
      .executeTakeFirstOrThrow();
    alerts.push(alertRowToAlert(updated));
  }
  return { alerts, raised };
}

/**
 * Records what users did in a tenant and evaluates the shared rules over their recent activity
 * (inside the request's tenant scope). Returns the alerts raised for the first time.
 */
export async function recordActivity(
  tx: Kysely<DB>,
  tenantId: string,
  settings: TenantSettings,
  events: readonly ActivityEvent[],
  now: Date,
  webhook: WebhookConfig | null,
): Promise<Alert[]> {
  if (events.length === 0) return [];
  await tx
    .insertInto('activity')
    .values(events.map((e) => ({ tenant_id: tenantId, user_id: e.userId, at: e.at, kind: e.kind })))
    .execute();
  const users = [...new Set(events.map((e) => e.userId))];
  const earliest = Math.min(...events.map((e) => Date.parse(e.at)));
  const lookback = alertLookbackMs(settings);
  const rows = await tx
    .selectFrom('activity')
    .select(['user_id', 'at', 'kind'])
    .where('tenant_id', '=', tenantId)
    .where('user_id', 'in', users)
    .where('at', '>=', new Date(earliest - 2 * lookback))
    .where('at', '<=', now)
    .execute();
  const recent: ActivityEvent[] = rows.map((r) => ({
    tenantId,
    userId: r.user_id,
    at: toIso(r.at),
    kind: r.kind as ActivityEvent['kind'],
  }));
  // Only alerts that involve this batch: older bursts were judged when they happened.
  const drafts = evaluateAlerts(recent, settings, now).filter((d) => Date.parse(d.windowEnd) >= earliest);
  const { raised } = await storeAlerts(tx, tenantId, drafts, 'server', now, webhook);
  return raised;
}

/**
 * "First access through a temporary grant": the first authenticated pull or push of a user in a
 * tenant whose membership came from a grant. Marks the membership and returns the event (once).
 */
export async function firstGrantAccess(
  tx: Kysely<DB>,
  userId: string,
  tenantId: string,
  now: Date,
): Promise<ActivityEvent | null> {
  const row = await tx
    .updateTable('memberships')
    .set({ first_access_at: now })
    .where('user_id', '=', userId)
    .where('tenant_id', '=', tenantId)
    .where('grant_id', 'is not', null)
    .where('first_access_at', 'is', null)
    .returning('grant_id')
    .executeTakeFirst();
  return row ? { tenantId, userId, at: now.toISOString(), kind: 'grant-first-access' } : null;
}
