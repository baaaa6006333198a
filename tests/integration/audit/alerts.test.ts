import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import { evaluateAlerts } from '../../../shared/alerts/rules.js';
import type { Alert, AlertList, AlertWebhookBody, LocalAlertsAnswer } from '../../../shared/api/alerts.js';
import type { AuditPage } from '../../../shared/api/audit.js';
import { WebhookDispatcher } from '../../../server/alerts/webhook.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, openSse, startTestServer } from '../../helpers/server.js';
import type { Session } from './client.js';
import { movement, pushChanges, session } from './client.js';

const backends = await integrationBackends();
const T = 'acme';
const SECRET = 'webhook-secret-for-tests';

/** Waits for a condition, polling (no fixed sleeps). */
async function until<T>(
  f: () => Promise<T | null | undefined | false>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(backends)('anomaly alerts and the webhook (%s)', (backend) => {
  let s: TestServer;
  let receiver: Server;
  const received: { status: number; body: string; signature: string; attempt: string }[] = [];
  let op: Session, mgr: Session;

  beforeAll(async () => {
    let calls = 0;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        calls += 1;
        // The first two deliveries fail: the worker must retry with backoff.
        const status = calls <= 2 ? 503 : 204;
        received.push({
          status,
          body,
          signature: String(req.headers['x-bulkhead-signature'] ?? ''),
          attempt: String(req.headers['x-bulkhead-attempt'] ?? ''),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const addr = receiver.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    s = await startTestServer({
      backend,
      seed: { itemsPerTenant: 5 },
      alertWebhook: { url: `http://127.0.0.1:${port}/hook`, secret: SECRET, backoffMs: [50, 100, 200, 400] },
    });
    op = await session(s.url, 'op.acme');
    mgr = await session(s.url, 'mgr');
  });
  afterAll(async () => {
    await s?.close();
    await new Promise((r) => receiver?.close(r));
  });

  it('raises one rapid-changes alert for 50 quick adjustments, streams it, delivers it signed after retries, acknowledges it', async () => {
    const stream = await openSse(s.url, T, mgr.token);
    const opStream = await openSse(s.url, T, op.token);
    try {
      await stream.next((e) => e.type === 'hello');
      await opStream.next((e) => e.type === 'hello');
      for (let i = 0; i < 50; i++) {
        const adj = movement(T, {
          type: 'adjustment',
          fromLocationId: null,
          toLocationId: 'A-02-01',
          quantity: 1,
        });
        const r = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: adj }], undefined, {
          action: 'create',
          confirmation: { typed: 'ACME-000001', reason: 'recount' },
        });
        expect(r.body.rejections).toEqual([]);
      }
      const list = await api<AlertList>(s.url, `/api/t/${T}/alerts?open=1`, { token: mgr.token });
      expect(list.status).toBe(200);
      const rapid = list.body.alerts.filter((a) => a.rule === 'rapid-changes');
      expect(rapid).toHaveLength(1);
      expect(rapid[0]).toMatchObject({
        userId: op.userId,
        source: 'server',
        count: 50,
        acknowledgedAt: null,
      });
      const ev = await stream.next((e) => e.type === 'alert');
      expect(ev).toEqual({ type: 'alert', tenantId: T, alertId: rapid[0]?.id, rule: 'rapid-changes' });
      // Operators cannot read alerts: no alert event on their stream (a later change proves order).
      await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: movement(T) }]);
      const next = await opStream.next((e) => e.type === 'alert' || e.type === 'change');
      expect(next.type).toBe('change');
      expect((await api(s.url, `/api/t/${T}/alerts`, { token: op.token })).status).toBe(403);

      // Delivered after two failures, signed over the exact body.
      const ok = await until(
        () => Promise.resolve(received.find((r) => r.status === 204)),
        'webhook delivery',
      );
      expect(received.slice(0, 3).map((r) => [r.status, r.attempt])).toEqual([
        [503, '1'],
        [503, '2'],
        [204, '3'],
      ]);
      expect(ok.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(ok.body).digest('hex')}`);
      const hook = JSON.parse(ok.body) as AlertWebhookBody;
      expect(hook).toMatchObject({
        type: 'alert',
        alert: { id: rapid[0]?.id, rule: 'rapid-changes', tenantId: T },
      });
      await until(async () => {
        const rows = await s.db.selectFrom('alert_deliveries').select(['status', 'attempts']).execute();
        return rows.length === 1 && rows[0]?.status === 'delivered' && Number(rows[0].attempts) === 3;
      }, 'delivery marked delivered');

      const ack = await api<Alert>(s.url, `/api/t/${T}/alerts/${rapid[0]?.id}/ack`, {
        token: mgr.token,
        body: {},
      });
      expect(ack.status).toBe(200);
      expect(ack.body).toMatchObject({ acknowledgedBy: mgr.userId });
      const open = await api<AlertList>(s.url, `/api/t/${T}/alerts?open=1`, { token: mgr.token });
      expect(open.body.alerts.find((a) => a.id === rapid[0]?.id)).toBeUndefined();
      const audit = await api<AuditPage>(s.url, `/api/t/${T}/audit?action=alert:ack`, { token: mgr.token });
      expect(audit.body.entries.map((e) => [e.entityId, e.actorId])).toEqual([[rapid[0]?.id, mgr.userId]]);
      expect(
        (await api(s.url, `/api/t/${T}/alerts/${rapid[0]?.id}/ack`, { token: op.token, body: {} })).status,
      ).toBe(403);
    } finally {
      stream.close();
      opStream.close();
    }
  });

  it('stores alerts a PC raised offline once, for its own user only', async () => {
    const base = Date.parse('2031-01-01T09:00:00Z');
    const events = Array.from({ length: 45 }, (_, i) => ({
      tenantId: T,
      userId: op.userId,
      at: new Date(base + i * 1000).toISOString(),
      kind: 'change' as const,
    }));
    const drafts = evaluateAlerts(events, DEFAULT_TENANT_SETTINGS, new Date(base + 3600_000));
    expect(drafts).toHaveLength(1);
    const r1 = await api<LocalAlertsAnswer>(s.url, `/api/t/${T}/alerts/local`, {
      token: op.token,
      body: { alerts: drafts },
    });
    expect(r1.status).toBe(201);
    expect(r1.body.alerts[0]).toMatchObject({ source: 'client', rule: 'rapid-changes', userId: op.userId });
    const r2 = await api<LocalAlertsAnswer>(s.url, `/api/t/${T}/alerts/local`, {
      token: op.token,
      body: { alerts: drafts },
    });
    expect(r2.body.alerts[0]?.id).toBe(r1.body.alerts[0]?.id);
    const other = await api(s.url, `/api/t/${T}/alerts/local`, {
      token: op.token,
      body: { alerts: drafts.map((d) => ({ ...d, userId: mgr.userId })) },
    });
    expect(other.status).toBe(403);
    const all = await api<AlertList>(s.url, `/api/t/${T}/alerts`, { token: mgr.token });
    expect(all.body.alerts.filter((a) => a.dedupKey === drafts[0]?.dedupKey)).toHaveLength(1);
  });

  it('raises first-grant-access on the first pull through a grant, once', async () => {
    const requester = await login(s.url, 'op.initech');
    const admin = await login(s.url, 'admin.acme');
    const req = await api<{ id: string }>(s.url, '/api/grants', {
      token: requester.accessToken,
      body: {
        tenantId: T,
        role: 'auditor',
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validUntil: new Date(Date.now() + 3600_000).toISOString(),
        reason: 'stocktake',
      },
    });
    expect(
      (await api(s.url, `/api/grants/${req.body.id}/approve`, { token: admin.accessToken, body: {} })).status,
    ).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await api(s.url, `/api/t/${T}/sync/items/pull`, { token: requester.accessToken })).status).toBe(
        200,
      );
    const list = await api<AlertList>(s.url, `/api/t/${T}/alerts`, { token: mgr.token });
    const first = list.body.alerts.filter((a) => a.rule === 'first-grant-access');
    expect(first.map((a) => a.userId)).toEqual([requester.user.id]);
  });

  it('resumes deliveries left pending by an earlier process', async () => {
    const before = received.length;
    const [alert] = (await api<AlertList>(s.url, `/api/t/${T}/alerts`, { token: mgr.token })).body.alerts;
    const id = randomUUID();
    const body = JSON.stringify({ type: 'alert', alert });
    const addr = receiver.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    // As if the server stopped after committing the alert, before its worker ran.
    await s.db
      .insertInto('alert_deliveries')
      .values({
        id,
        tenant_id: T,
        alert_id: alert?.id ?? '',
        url: `http://127.0.0.1:${port}/hook`,
        body,
        status: 'pending',
        next_attempt_at: new Date(),
        last_error: null,
        created_at: new Date(),
        delivered_at: null,
      })
      .execute();
    const fresh = new WebhookDispatcher(
      s.database,
      { url: `http://127.0.0.1:${port}/hook`, secret: SECRET },
      { warn: () => {} },
    );
    fresh.kick();
    await until(async () => {
      const r = await s.db
        .selectFrom('alert_deliveries')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst();
      return r?.status === 'delivered';
    }, 'resumed delivery');
    await fresh.stop();
    expect(received.slice(before).some((r) => r.body === body && r.status === 204)).toBe(true);
  });

  it('raises off-hours for an export and rejected-pushes for repeated refusals', async () => {
    const admin = await login(s.url, 'admin.acme');
    const fin = await session(s.url, 'fin.acme');
    const policy = await api<{ version: number; overrides: unknown; settings: Record<string, unknown> }>(
      s.url,
      `/api/t/${T}/policy`,
      { token: admin.accessToken },
    );
    // No working day at all: every export is outside working hours.
    const put = await api(s.url, `/api/t/${T}/policy`, {
      method: 'PUT',
      token: admin.accessToken,
      body: {
        overrides: policy.body.overrides,
        settings: {
          ...policy.body.settings,
          workingHours: { start: '08:00', end: '18:00', days: [], timeZone: 'Europe/Berlin' },
        },
        expectedVersion: policy.body.version,
        reason: 'night shift watch',
      },
    });
    expect(put.status).toBe(200);
    const fresh = await session(s.url, 'fin.acme');
    const csv = await fetch(`${s.url}/api/t/${T}/export/inventory?format=csv`, {
      headers: { authorization: `Bearer ${fresh.token}` },
    });
    expect(csv.status).toBe(200);
    await csv.text();
    // Finance may not move stock: six refused pushes within minutes.
    for (let i = 0; i < 6; i++) {
      const r = await pushChanges(s.url, fin, T, 'movements', [{ newDocumentState: movement(T) }]);
      expect(r.body.rejections.map((x) => x.code)).toEqual(['forbidden']);
    }
    const list = await api<AlertList>(s.url, `/api/t/${T}/alerts?open=1`, { token: mgr.token });
    const mine = list.body.alerts.filter((a) => a.userId === fin.userId).map((a) => [a.rule, a.count]);
    expect(mine).toEqual(
      expect.arrayContaining([
        ['off-hours', 1],
        ['rejected-pushes', 6],
      ]),
    );
    expect(mine).toHaveLength(2);
  });

  it('marks a delivery failed after the last attempt', async () => {
    const dead = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const addr = dead.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const [alert] = (await api<AlertList>(s.url, `/api/t/${T}/alerts`, { token: mgr.token })).body.alerts;
    const id = randomUUID();
    await s.db
      .insertInto('alert_deliveries')
      .values({
        id,
        tenant_id: T,
        alert_id: alert?.id ?? '',
        url: `http://127.0.0.1:${port}/`,
        body: '{}',
        status: 'pending',
        next_attempt_at: new Date(),
        last_error: null,
        created_at: new Date(),
        delivered_at: null,
      })
      .execute();
    const w = new WebhookDispatcher(
      s.database,
      { url: `http://127.0.0.1:${port}/`, secret: SECRET, backoffMs: [5, 5, 5, 5] },
      { warn: () => {} },
    );
    try {
      w.kick();
      const row = await until(async () => {
        const r = await s.db
          .selectFrom('alert_deliveries')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst();
        return r?.status === 'failed' ? r : null;
      }, 'failed delivery');
      expect(Number(row.attempts)).toBe(5);
      expect(row.last_error).toBe('HTTP 500');
    } finally {
      await w.stop();
      await new Promise((r) => dead.close(r));
    }
  });
});
