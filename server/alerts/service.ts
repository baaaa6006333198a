import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, RawBuilder, Selectable } from 'kysely';
import type { TenantSettings } from '../../shared/access/policy.js';
import type {
  ActivityEvent,
  ActivityKind,
  AlertDraft,
  Burst,
  BurstState,
  CountedRule,
} from '../../shared/alerts/rules.js';
import {
  advanceBursts,
  alertLookbackMs,
  AlertRule,
  burstDraft,
  COUNTED_RULES,
  countedLimit,
  emptyBurstState,
  evaluateAlerts,
} from '../../shared/alerts/rules.js';
import type { Alert, AlertWebhookBody } from '../../shared/api/alerts.js';
import { CHANGES_CHANNEL } from '../db/connect.js';
import type { AlertsTable, DB } from '../db/types.js';
import { insertJsonRows, toIso } from '../sync/mapping.js';

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
    // Performance: one statement per draft. A new key inserts (xmax = 0 on a row this statement
    // created); a known key only grows (count, window end), exactly as a separate UPDATE did.
    const row = await tx
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
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'dedup_key']).doUpdateSet({
          count: sql<number>`greatest(alerts.count, excluded.count)`,
          window_end: sql<Date>`greatest(alerts.window_end, excluded.window_end)`,
        }),
      )
      .returningAll()
      .returning(sql<boolean>`(xmax = 0)`.as('inserted_now'))
      .executeTakeFirstOrThrow();
    const a = alertRowToAlert(row);
    alerts.push(a);
    if (row.inserted_now !== true) continue;
    raised.push(a);
    await announceAlert(tx, tenantId, a, webhook);
  }
  return { alerts, raised };
}

/** A new alert: announced on the stream (at commit) and queued for the webhook, in `tx`. */
async function announceAlert(
  tx: Kysely<DB>,
  tenantId: string,
  a: Alert,
  webhook: WebhookConfig | null,
): Promise<void> {
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
}

/** Burst states of the counted rules, per (tenant, user, kind): migration 0004_perf_activity_state. */
type ActivityStateTable = { tenant_id: string; user_id: string; kind: string; state: unknown };
type StateDB = DB & { activity_state: ActivityStateTable };

/** A stored state, if it has the expected shape and was built for `limit`; otherwise null. */
function parseState(raw: unknown, limit: { count: number; minutes: number }): BurstState | null {
  const v = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<BurstState> | null;
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (!v || typeof v !== 'object' || !v.limit || !num(v.last) || !num(v.after) || !Array.isArray(v.recent))
    return null;
  if (v.limit.count !== limit.count || v.limit.minutes !== limit.minutes) return null;
  if (!v.recent.every(num) || v.recent.length > limit.count) return null;
  const b = v.burst;
  if (b !== null && (typeof b !== 'object' || !num(b?.start) || !num(b.end) || !num(b.count) || !num(b.slot)))
    return null;
  return { limit: { ...limit }, last: v.last, recent: v.recent, burst: b ?? null, after: v.after };
}

/** Event times (ms) of some kinds of one user in [from, to], sorted. */
async function activityTimes(
  tx: Kysely<DB>,
  tenantId: string,
  userIds: readonly string[],
  kinds: readonly ActivityKind[],
  from: number,
  to: Date,
): Promise<ActivityEvent[]> {
  const rows = await tx
    .selectFrom('activity')
    .select(['user_id', 'at', 'kind'])
    .where('tenant_id', '=', tenantId)
    .where('user_id', 'in', [...userIds])
    .where('kind', 'in', [...kinds])
    .where('at', '>=', new Date(from))
    .where('at', '<=', to)
    .execute();
  return rows.map((r) => ({
    tenantId,
    userId: r.user_id,
    at: toIso(r.at),
    kind: r.kind as ActivityKind,
  }));
}

/** One user's events of one counted kind in a batch: their times (ms), sorted. */
type CountedBatch = { userId: string; rule: CountedRule; kind: ActivityKind; times: number[] };

/** The batch's times per (user, counted kind), sorted; the rules ignore events later than `now`. */
function countedBatches(events: readonly ActivityEvent[], nowMs: number): Map<string, CountedBatch> {
  const batches = new Map<string, CountedBatch>();
  for (const e of events) {
    const counted = COUNTED_RULES.find((r) => r.kind === e.kind);
    const at = Date.parse(e.at);
    if (!counted || !Number.isFinite(at) || at > nowMs) continue;
    const key = `${e.userId}\u0000${e.kind}`;
    const b = batches.get(key) ?? { userId: e.userId, rule: counted.rule, kind: e.kind, times: [] };
    b.times.push(at);
    batches.set(key, b);
  }
  for (const b of batches.values()) b.times.sort((x, y) => x - y);
  return batches;
}

/**
 * Records what users did in a tenant and evaluates the shared rules over their recent activity
 * (inside the request's tenant scope). Returns the alerts raised for the first time.
 *
 * Performance: the counted rules (rapid changes, rejected pushes) go on from a stored burst state
 * per (user, kind) — `advanceBursts`, the same code `evaluateAlerts` runs — so a push reads a few
 * hundred bytes instead of every event of the user in twice the look-back window. Events older
 * than the state's newest (another device's clock, an offline backlog), a missing state or
 * changed limits re-evaluate the window as before and rebuild the state. Off-hours reads only
 * destructive changes and exports, and only when the batch holds one; first grant access needs
 * the batch alone.
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
  const stx = tx as unknown as Kysely<StateDB>;
  const nowMs = now.getTime();
  const earliest = Math.min(...events.map((e) => Date.parse(e.at)));
  const lookback = alertLookbackMs(settings);
  const rows = events.map((e) => ({ tenant_id: tenantId, user_id: e.userId, at: e.at, kind: e.kind }));

  const batches = countedBatches(events, nowMs);

  // One statement: insert the events and lock the states they advance. Performance: the events
  // travel as one JSON parameter (a push records one per change).
  const insertEvents = insertJsonRows('activity', ['tenant_id', 'user_id', 'at', 'kind'], rows);
  let stored: { user_id: string; kind: string; state: unknown }[] = [];
  if (batches.size === 0) await insertEvents.execute(tx);
  else {
    const list = [...batches.values()];
    const users = [...new Set(list.map((b) => b.userId))];
    const kinds = [...new Set(list.map((b) => b.kind))];
    stored = (
      await sql<{ user_id: string; kind: string; state: unknown }>`WITH inserted_activity AS (${insertEvents})
        SELECT user_id, kind, state FROM activity_state
        WHERE tenant_id = ${tenantId} AND user_id = ANY(${users}::text[]) AND kind = ANY(${kinds}::text[])
        FOR UPDATE`.execute(tx)
    ).rows;
  }

  const drafts: AlertDraft[] = [];
  const states: ActivityStateTable[] = [];
  for (const b of batches.values()) {
    const limit = countedLimit(b.rule, settings);
    const row = stored.find((r) => r.user_id === b.userId && r.kind === b.kind);
    let state = row ? parseState(row.state, limit) : null;
    let touched: Burst[];
    if (state && (b.times[0] as number) >= state.last) touched = advanceBursts(state, b.times);
    else {
      // Out of order, new, or other limits: the window as before (it holds this batch already).
      const window = await activityTimes(tx, tenantId, [b.userId], [b.kind], earliest - 2 * lookback, now);
      const times = window.map((e) => Date.parse(e.at)).filter((t) => Number.isFinite(t) && t <= nowMs);
      times.sort((x, y) => x - y);
      state = emptyBurstState(limit);
      touched = [];
      for (const t of times)
        for (const x of advanceBursts(state, [t])) if (!touched.includes(x)) touched.push(x);
      touched = touched.filter((x) => x.end >= earliest);
    }
    for (const x of touched) drafts.push(burstDraft(b.rule, tenantId, b.userId, limit, x));
    states.push({ tenant_id: tenantId, user_id: b.userId, kind: b.kind, state: JSON.stringify(state) });
  }
  if (states.length > 0)
    await stx
      .insertInto('activity_state')
      .values(states)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'user_id', 'kind']).doUpdateSet({ state: sql`excluded.state` }),
      )
      .execute();

  // Off-hours: destructive changes and exports of the window, only when the batch holds one.
  const offHourKinds: ActivityKind[] = ['destructive', 'export'];
  const offHourUsers = [...new Set(events.filter((e) => offHourKinds.includes(e.kind)).map((e) => e.userId))];
  if (settings.workingHours && offHourUsers.length > 0) {
    const window = await activityTimes(
      tx,
      tenantId,
      offHourUsers,
      offHourKinds,
      earliest - 2 * lookback,
      now,
    );
    drafts.push(
      ...evaluateAlerts(window, settings, now).filter(
        (d) => d.rule === 'off-hours' && Date.parse(d.windowEnd) >= earliest,
      ),
    );
  }
  // First access through a grant: one alert per such event of the batch.
  drafts.push(
    ...evaluateAlerts(
      events.filter((e) => e.kind === 'grant-first-access'),
      settings,
      now,
    ),
  );
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

// --- Activity folded into a push's last statement (issue #8, push throughput) ---

/** The counted kinds' stored states of one user (as the folded path reads them). */
export type StoredBurstState = { user_id: string; kind: string; state: unknown };

/**
 * The push's prefetch reads these with its other rows: the stored burst states of the pushing user,
 * locked FOR UPDATE (held to commit) as `recordActivity` locks them. A JSON array of
 * `StoredBurstState`.
 */
export function burstStatesSql(tenantId: string, userId: string): RawBuilder<unknown> {
  const kinds = COUNTED_RULES.map((r) => r.kind);
  return sql`(SELECT coalesce(json_agg(json_build_object('user_id', s.user_id, 'kind', s.kind, 'state', s.state)), '[]'::json)
    FROM (SELECT user_id, kind, state FROM activity_state
      WHERE tenant_id = ${tenantId} AND user_id = ${userId} AND kind = ANY(${kinds}::text[]) FOR UPDATE) s)`;
}

/** What a push's activity writes, when it can go in the push's last statement. */
export type FoldedActivity = {
  tenantId: string;
  now: Date;
  rows: { tenant_id: string; user_id: string; at: string; kind: string }[];
  states: { tenant_id: string; user_id: string; kind: string; state: BurstState }[];
  drafts: AlertDraft[];
};

/**
 * `recordActivity` without its reads, for a push that read the states with its prefetch
 * (`burstStatesSql`): the events to insert, the states to store and the alert drafts — the same
 * ones `recordActivity` computes from the same stored states (`countedBatches`, `parseState`,
 * `advanceBursts`, `burstDraft`, `evaluateAlerts`). Null when `recordActivity` would read the
 * activity window — a state missing, built for other limits, or newer than an event of the batch;
 * off-hours rules with a destructive change or an export in the batch — or when two drafts share a
 * key: the caller then calls `recordActivity` as before.
 */
export function planFoldedActivity(
  tenantId: string,
  settings: TenantSettings,
  events: readonly ActivityEvent[],
  now: Date,
  stored: readonly StoredBurstState[],
): FoldedActivity | null {
  const nowMs = now.getTime();
  const drafts: AlertDraft[] = [];
  const states: FoldedActivity['states'] = [];
  for (const b of countedBatches(events, nowMs).values()) {
    const limit = countedLimit(b.rule, settings);
    const row = stored.find((r) => r.user_id === b.userId && r.kind === b.kind);
    const state = row ? parseState(row.state, limit) : null;
    if (!state || (b.times[0] as number) < state.last) return null;
    for (const x of advanceBursts(state, b.times))
      drafts.push(burstDraft(b.rule, tenantId, b.userId, limit, x));
    states.push({ tenant_id: tenantId, user_id: b.userId, kind: b.kind, state });
  }
  if (settings.workingHours && events.some((e) => e.kind === 'destructive' || e.kind === 'export'))
    return null;
  drafts.push(
    ...evaluateAlerts(
      events.filter((e) => e.kind === 'grant-first-access'),
      settings,
      now,
    ),
  );
  // One INSERT … ON CONFLICT may not touch a row twice; `storeAlerts` takes them one at a time.
  if (new Set(drafts.map((d) => d.dedupKey)).size !== drafts.length) return null;
  return {
    tenantId,
    now,
    rows: events.map((e) => ({ tenant_id: tenantId, user_id: e.userId, at: e.at, kind: e.kind })),
    states,
    drafts,
  };
}

/**
 * The folded activity as common table expressions for the push's last statement (after its other
 * CTEs: they start with a comma), and the expression that returns the stored alerts. The same
 * writes as `recordActivity` + `storeAlerts`: the events inserted, the states upserted, one upsert
 * per alert draft (a known key only grows), with the rows as JSON parameters.
 */
export function foldedActivitySql(plan: FoldedActivity): {
  ctes: RawBuilder<unknown>;
  alerts: RawBuilder<unknown>;
} {
  const parts: RawBuilder<unknown>[] = [];
  if (plan.rows.length > 0)
    parts.push(
      sql`, inserted_activity AS (${insertJsonRows('activity', ['tenant_id', 'user_id', 'at', 'kind'], plan.rows)})`,
    );
  if (plan.states.length > 0)
    parts.push(sql`, saved_states AS (${insertJsonRows('activity_state', ['tenant_id', 'user_id', 'kind', 'state'], plan.states)}
      ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET state = excluded.state)`);
  const ctes = parts.length === 0 ? sql`` : sql.join(parts, sql``);
  if (plan.drafts.length === 0) return { ctes, alerts: sql`'[]'::json` };
  const rows = plan.drafts.map((d) => ({
    tenant_id: plan.tenantId,
    id: randomUUID(),
    rule: d.rule,
    user_id: d.userId,
    raised_at: plan.now.toISOString(),
    window_start: d.windowStart,
    window_end: d.windowEnd,
    count: d.count,
    detail: d.detail,
    source: 'server',
    acknowledged_by: null,
    acknowledged_at: null,
    dedup_key: d.dedupKey,
  }));
  parts.push(sql`, stored_alerts AS (${insertJsonRows('alerts', ALERT_COLUMNS, rows)}
      ON CONFLICT (tenant_id, dedup_key) DO UPDATE SET
        count = greatest(alerts.count, excluded.count), window_end = greatest(alerts.window_end, excluded.window_end)
      RETURNING alerts.*, (xmax = 0) AS inserted_now)`);
  return {
    ctes: sql.join(parts, sql``),
    alerts: sql`(SELECT coalesce(json_agg(stored_alerts), '[]'::json) FROM stored_alerts)`,
  };
}

const ALERT_COLUMNS = [
  'tenant_id',
  'id',
  'rule',
  'user_id',
  'raised_at',
  'window_start',
  'window_end',
  'count',
  'detail',
  'source',
  'acknowledged_by',
  'acknowledged_at',
  'dedup_key',
] as const satisfies readonly (keyof AlertsTable)[];

/**
 * After the push's last statement: announces the alerts it inserted for the first time (stream and
 * webhook, as `storeAlerts` does) and returns them. `stored` is what `foldedActivitySql`'s `alerts`
 * expression returned.
 */
export async function finishFoldedActivity(
  tx: Kysely<DB>,
  tenantId: string,
  stored: unknown,
  webhook: WebhookConfig | null,
): Promise<Alert[]> {
  const rows = (
    typeof stored === 'string' ? JSON.parse(stored) : (stored ?? [])
  ) as (Selectable<AlertsTable> & {
    inserted_now: boolean;
  })[];
  const raised: Alert[] = [];
  for (const row of rows) {
    if (row.inserted_now !== true) continue;
    const a = alertRowToAlert(row);
    raised.push(a);
    await announceAlert(tx, tenantId, a, webhook);
  }
  return raised;
}
