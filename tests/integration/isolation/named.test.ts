/** The classic isolation bugs, each as a named case (PostgreSQL and PGlite). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Grant } from '../../../shared/api/grants.js';
import type { PullResponse, PushResponse } from '../../../shared/sync/protocol.js';
import { withUserScope } from '../../../server/db/scope.js';
import { demoUserId, stableUuid } from '../../../server/db/seed.js';
import { inventoryLines } from '../../../server/reports/inventory.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
type Doc = Record<string, unknown>;

describe.each(backends)('named isolation cases (%s)', (backend) => {
  let s: TestServer;
  let clock = new Date();
  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 5 }, now: () => clock });
  });
  afterAll(async () => {
    await s?.close();
  });
  const tenantRows = async (t: string) =>
    JSON.stringify(
      await s.db.selectFrom('items').selectAll().where('tenant_id', '=', t).orderBy('id').execute(),
    ) +
    JSON.stringify(
      await s.db.selectFrom('movements').select('id').where('tenant_id', '=', t).orderBy('id').execute(),
    );

  it('a report query without its tenant filter still returns only authorized rows (RLS)', async () => {
    const tenants = await withUserScope(s.database, demoUserId('mgr'), async (tx) => {
      const lines = await inventoryLines(tx, null);
      return [...new Set(lines.map((l) => l.tenantId))].sort();
    });
    expect(tenants).toEqual(['acme', 'globex']);
    const none = await withUserScope(s.database, 'u-nobody', async (tx) => inventoryLines(tx, null));
    expect(none).toEqual([]);
  });

  it('a forged tenant id in the URL is refused on every path', async () => {
    const op = (await login(s.url, 'op.globex')).accessToken;
    for (const p of [
      '/api/t/acme/sync/items/pull',
      '/api/t/acme/reports/inventory',
      '/api/t/acme/export/inventory?format=csv',
      '/api/t/acme/audit',
      '/api/t/acme/policy',
      '/api/t/acme/members',
      '/api/reports/inventory?tenants=globex,acme',
    ]) {
      expect((await api(s.url, p, { token: op })).status, p).toBe(403);
    }
  });

  it('a forged tenant id in the body is rejected and changes nothing in either tenant', async () => {
    const mgr = (await login(s.url, 'mgr')).accessToken;
    const acme = await tenantRows('acme');
    const globex = await tenantRows('globex');
    const doc = {
      id: randomUUID(),
      tenantId: 'acme',
      itemId: stableUuid('acme/item/1'),
      type: 'receipt',
      quantity: 5,
      fromLocationId: null,
      toLocationId: 'A-11-09',
      batch: null,
      note: null,
      createdAt: clock.toISOString(),
      createdBy: 'x',
      deviceId: 'd',
      seq: 0,
    };
    const r = await api<PushResponse>(s.url, '/api/t/globex/sync/movements/push', {
      token: mgr,
      body: { changes: [{ newDocumentState: doc }] },
    });
    expect(r.body.rejections.map((x) => x.code)).toEqual(['wrong-tenant']);
    expect(await tenantRows('acme')).toBe(acme);
    expect(await tenantRows('globex')).toBe(globex);
  });

  it('an expired grant is refused one second after expiry', async () => {
    const t0 = new Date();
    clock = t0;
    const requester = (await login(s.url, 'op.initech')).accessToken;
    const admin = (await login(s.url, 'admin.acme')).accessToken;
    const until = new Date(t0.getTime() + 3600_000);
    const req = await api<Grant>(s.url, '/api/grants', {
      token: requester,
      body: {
        tenantId: 'acme',
        role: 'auditor',
        validFrom: new Date(t0.getTime() - 60_000).toISOString(),
        validUntil: until.toISOString(),
        reason: 'year-end count',
      },
    });
    expect(req.status).toBe(201);
    const ok = await api<Grant>(s.url, `/api/grants/${req.body.id}/approve`, { token: admin, body: {} });
    expect(ok.status).toBe(200);
    // A fresh access token at each instant (they live 15 minutes on the server clock).
    const pull = async () =>
      api<PullResponse<Doc>>(s.url, '/api/t/acme/sync/items/pull', {
        token: (await login(s.url, 'op.initech')).accessToken,
      });
    expect((await pull()).status).toBe(200);
    clock = new Date(until.getTime() - 1000);
    expect((await pull()).status).toBe(200);
    clock = new Date(until.getTime() + 1000);
    expect((await pull()).status).toBe(403);
    const late = (await login(s.url, 'op.initech')).accessToken;
    expect((await api(s.url, '/api/t/acme/reports/inventory', { token: late })).status).toBe(403);
    const me = await api<{ memberships: { tenantId: string }[] }>(s.url, '/api/me', { token: late });
    expect(me.body.memberships.map((m) => m.tenantId)).toEqual(['initech']);
    clock = new Date();
  });

  it('the token of a revoked user or session is refused with 401', async () => {
    clock = new Date();
    const fin = await login(s.url, 'fin.globex');
    expect((await api(s.url, '/api/t/globex/sync/items/pull', { token: fin.accessToken })).status).toBe(200);
    await s.db
      .updateTable('users')
      .set({ disabled: true })
      .where('id', '=', demoUserId('fin.globex'))
      .execute();
    for (const p of [
      '/api/t/globex/sync/items/pull',
      '/api/t/globex/reports/inventory',
      '/api/me',
      '/api/grants',
    ])
      expect((await api(s.url, p, { token: fin.accessToken })).status, p).toBe(401);
    await s.db
      .updateTable('users')
      .set({ disabled: false })
      .where('id', '=', demoUserId('fin.globex'))
      .execute();
    const again = await login(s.url, 'fin.globex');
    await api(s.url, '/api/auth/logout', { body: { refreshToken: again.refreshToken } });
    expect((await api(s.url, '/api/t/globex/sync/items/pull', { token: again.accessToken })).status).toBe(
      401,
    );
  });

  it('a push that sets a hidden field changes nothing, even when it guesses the stored value', async () => {
    clock = new Date();
    const id = stableUuid('acme/item/2');
    for (const user of ['mgr', 'op.acme']) {
      const token = (await login(s.url, user)).accessToken;
      const before = await s.db
        .selectFrom('items')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const pulled = await api<PullResponse<Doc>>(s.url, '/api/t/acme/sync/items/pull', { token });
      const master = pulled.body.documents.find((d) => d.id === id) ?? {};
      expect(master).not.toHaveProperty('purchasePrice');
      for (const price of [0, Number(before.purchase_price)]) {
        const r = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/items/push', {
          token,
          body: {
            changes: [{ assumedMasterState: master, newDocumentState: { ...master, purchasePrice: price } }],
          },
        });
        expect(
          r.body.rejections.map((x) => x.code),
          `${user} ${price}`,
        ).toEqual(['forbidden']);
        expect(r.body.conflicts[0]).not.toHaveProperty('purchasePrice');
      }
      const after = await s.db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(after).toEqual(before);
    }
  });
});
