import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderDoc } from '../../../shared/domain/floor.js';
import type { PullResponse, PushResponse, StaleResponse } from '../../../shared/sync/protocol.js';
import { STALE_MAX } from '../../../shared/sync/protocol.js';
import { demoUserId, stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, startTestServer } from '../../helpers/server.js';

/*
 * Issue #7: `POST /api/t/:tenant/sync/:collection/stale` answers, of the versions a PC holds, the
 * documents the server holds newer — exactly as pull delivers them to that user (projection,
 * tombstones) — and nothing of other tenants, nothing for an unknown id, nothing written.
 */

const backends = await integrationBackends();
type Doc = Record<string, unknown>;
const ITEM1 = stableUuid('acme/item/1');
const GLOBEX_ORDER = stableUuid('globex/order/1');
const ACME_RECEIPT = stableUuid('acme/receipt/1');

function order(over: Partial<OrderDoc> = {}): OrderDoc {
  return {
    id: randomUUID(),
    tenantId: 'acme',
    number: `SO-S-${Math.floor(Math.random() * 1e9)}`,
    customerName: 'Kim Retail',
    customerPhone: '+31 10 555 0199',
    customerEmail: 'kim@example.com',
    shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
    status: 'open',
    lines: [{ lineId: '1', itemId: ITEM1, qty: 2 }],
    updatedAt: new Date().toISOString(),
    seq: 0,
    ...over,
  };
}

describe.each(backends)('stale check of orders and inbound notices (%s)', (backend) => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const staleOf = (user: string, versions: unknown, collection = 'orders', tenant = 'acme') =>
    api<StaleResponse<Doc>>(s.url, `/api/t/${tenant}/sync/${collection}/stale`, {
      token: tokens[user],
      body: { versions },
    });
  const pulled = async (user: string, collection: string, id: string): Promise<Doc> => {
    const r = await api<PullResponse<Doc>>(s.url, `/api/t/acme/sync/${collection}/pull?limit=5000`, {
      token: tokens[user],
    });
    expect(r.status).toBe(200);
    const d = r.body.documents.find((x) => x['id'] === id);
    if (!d) throw new Error(`${id} not pulled`);
    return d;
  };
  const push = (user: string, newDocumentState: Doc, assumedMasterState: Doc | null, over = {}) => {
    const changes = [{ newDocumentState, assumedMasterState }];
    return api<PushResponse<Doc>>(s.url, `/api/t/acme/sync/orders/push`, {
      token: tokens[user],
      body: { changes, audit: auditFor(demoUserId(user), 'orders', changes, over) },
    });
  };
  /** An order created by mgr, then edited by admin.acme: returns both versions (as mgr pulled them). */
  const twoVersions = async () => {
    const o = order();
    expect((await push('mgr', o, null, { action: 'create' })).body).toMatchObject({ rejections: [] });
    const v1 = await pulled('mgr', 'orders', o.id);
    const base = await pulled('admin.acme', 'orders', o.id);
    const edit = { ...base, status: 'picking', updatedAt: new Date().toISOString() };
    expect((await push('admin.acme', edit, base)).body).toMatchObject({ conflicts: [], rejections: [] });
    const v2 = await pulled('mgr', 'orders', o.id);
    expect(Number(v2['seq'])).toBeGreaterThan(Number(v1['seq']));
    return { o, v1, v2 };
  };
  /** What a stale check must never change: every row count and the tenant's sequence. */
  const footprint = async () => {
    const count = async (t: 'orders' | 'receipts' | 'audit_log' | 'alerts') =>
      Number(
        (
          await s.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll<string | number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const top = await s.db
      .selectFrom('orders')
      .select((eb) => eb.fn.max('seq').as('m'))
      .where('tenant_id', '=', 'acme')
      .executeTakeFirstOrThrow();
    return {
      orders: await count('orders'),
      receipts: await count('receipts'),
      audit: await count('audit_log'),
      alerts: await count('alerts'),
      top: String(top.m),
    };
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 } });
    for (const u of ['mgr', 'admin.acme', 'op.acme', 'op.initech'])
      tokens[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers the newer server version of an id, as pull delivers it; an equal or newer local one gets nothing', async () => {
    const { o, v1, v2 } = await twoVersions();
    const before = await footprint();
    const older = await staleOf('mgr', [[o.id, Number(v1['seq'])]]);
    expect(older.status).toBe(200);
    expect(older.body.documents).toEqual([v2]);
    expect(older.body.documents[0]).toMatchObject({ status: 'picking', _deleted: false });
    expect((await staleOf('mgr', [[o.id, Number(v2['seq'])]])).body).toEqual({ documents: [] });
    expect((await staleOf('mgr', [[o.id, Number(v2['seq']) + 5]])).body).toEqual({ documents: [] });
    // Several ids at once: only the stale one comes back; an id sent twice counts once.
    const both = await staleOf('mgr', [
      [o.id, Number(v1['seq'])],
      [o.id, Number(v1['seq'])],
      [stableUuid('acme/order/1'), 1e9],
      [randomUUID(), 0],
    ]);
    expect(both.body.documents).toEqual([v2]);
    // Upper-case ids are the same ids.
    expect((await staleOf('mgr', [[o.id.toUpperCase(), 0]])).body.documents).toEqual([v2]);
    // Nothing was written by any of these.
    expect(await footprint()).toEqual(before);
  });

  it('projects for the caller like pull: op.acme gets the order without the fields its role may not read', async () => {
    const { o, v1 } = await twoVersions();
    const forOp = await staleOf('op.acme', [[o.id, Number(v1['seq'])]]);
    expect(forOp.status).toBe(200);
    expect(forOp.body.documents).toHaveLength(1);
    const doc = forOp.body.documents[0]!;
    expect(doc).toEqual(await pulled('op.acme', 'orders', o.id));
    expect(doc).not.toHaveProperty('customerPhone');
    expect(doc).not.toHaveProperty('customerEmail');
    expect(doc['customerName']).toBe('Kim Retail');
    // The manager, for comparison, reads every customer field.
    expect((await staleOf('mgr', [[o.id, Number(v1['seq'])]])).body.documents[0]).toMatchObject({
      customerPhone: o.customerPhone,
      customerEmail: o.customerEmail,
    });
  });

  it('a document deleted on the server comes back as pull delivers it: a tombstone', async () => {
    const { o, v2 } = await twoVersions();
    const gone = { ...v2, _deleted: true, updatedAt: new Date().toISOString() };
    const del = await push('mgr', gone, v2, {
      action: 'delete',
      reason: 'entered twice',
      confirmation: { typed: o.number, reason: 'entered twice' },
    });
    expect(del.body).toMatchObject({ conflicts: [], rejections: [] });
    const tomb = await pulled('mgr', 'orders', o.id);
    expect(tomb['_deleted']).toBe(true);
    const r = await staleOf('mgr', [[o.id, Number(v2['seq'])]]);
    expect(r.body.documents).toEqual([tomb]);
  });

  it('receipts are checked too; another tenant’s id and unknown ids come back empty', async () => {
    const receipt = await staleOf('mgr', [[ACME_RECEIPT, 0]], 'receipts');
    expect(receipt.status).toBe(200);
    expect(receipt.body.documents).toEqual([await pulled('mgr', 'receipts', ACME_RECEIPT)]);
    // globex's order exists and mgr is a member of globex — but not through acme's endpoint.
    expect((await staleOf('mgr', [[GLOBEX_ORDER, 0]])).body).toEqual({ documents: [] });
    expect((await staleOf('admin.acme', [[GLOBEX_ORDER, 0]])).body).toEqual({ documents: [] });
    expect((await staleOf('mgr', [[GLOBEX_ORDER, 0]], 'orders', 'globex')).body.documents).toHaveLength(1);
    expect((await staleOf('mgr', [[randomUUID(), 0]])).body).toEqual({ documents: [] });
    expect((await staleOf('mgr', [])).body).toEqual({ documents: [] });
  });

  it('refuses other collections, too many pairs, bad ids and bad sequences with 400; nothing changes', async () => {
    const before = await footprint();
    const bad = async (versions: unknown, collection = 'orders', raw?: string) => {
      const r = raw
        ? await api<{ error: { code: string; message: string } }>(s.url, `/api/t/acme/sync/orders/stale`, {
            token: tokens['mgr'],
            rawBody: raw,
          })
        : await staleOf('mgr', versions, collection);
      expect(r.status, JSON.stringify(r.body).slice(0, 200)).toBe(400);
      const e = (r.body as { error: { code: string; message: string } }).error;
      expect(e.code).toBe('invalid_request');
      expect(e.message.length).toBeGreaterThan(0);
      return e.message;
    };
    for (const c of ['items', 'movements', 'balances', 'locations', 'audit', 'nope'])
      expect(await bad([[randomUUID(), 0]], c)).toMatch(/collection/);
    const many = Array.from({ length: STALE_MAX + 1 }, () => [randomUUID(), 1]);
    expect(await bad(many)).toMatch(/versions/);
    // Exactly the limit is fine.
    expect((await staleOf('mgr', many.slice(0, STALE_MAX))).status).toBe(200);
    await bad([['not-a-uuid', 0]]);
    await bad([[`${GLOBEX_ORDER}'; DROP TABLE orders; --`, 0]]);
    await bad([[randomUUID(), -1]]);
    await bad([[randomUUID(), 1.5]]);
    await bad([[randomUUID(), '3']]);
    await bad([[randomUUID()]]);
    await bad([[randomUUID(), 1, 2]]);
    await bad([{ id: randomUUID(), seq: 1 }]);
    await bad(null, 'orders', JSON.stringify({ versions: [], extra: 1 }));
    await bad(null, 'orders', JSON.stringify({}));
    expect(await footprint()).toEqual(before);
  });

  it('401 without or with a bad token; 403 for a tenant the caller is not a member of', async () => {
    const body = { versions: [[stableUuid('acme/order/1'), 0]] };
    for (const token of [undefined, 'not-a-token']) {
      const r = await api(s.url, '/api/t/acme/sync/orders/stale', { token, body });
      expect(r.status).toBe(401);
    }
    const outsider = await api<{ error: { code: string } }>(s.url, '/api/t/acme/sync/orders/stale', {
      token: tokens['op.initech'],
      body,
    });
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.code).toBeTruthy();
    // mgr holds acme and globex, nothing in initech.
    const r = await api(s.url, '/api/t/initech/sync/orders/stale', { token: tokens['mgr'], body });
    expect(r.status).toBe(403);
  });
});
