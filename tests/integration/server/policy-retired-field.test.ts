import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASKED, type TenantPolicy } from '../../../shared/access/policy.js';
import type { PullResponse } from '../../../shared/sync/protocol.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();

/**
 * `orders.shipToAddress` left the field matrix (orders carry the address as `shipTo`). Policies
 * stored before may still name it: they must load, sign in, sync and save as before.
 */
describe.each(backends)('a stored policy naming the retired orders.shipToAddress (%s)', (backend) => {
  let s: TestServer;
  const tok: Record<string, string> = {};
  const stored = {
    orders: {
      shipToAddress: { operator: '-', auditor: '-' },
      customerName: { operator: 'masked' },
    },
  };
  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 }, heartbeatMs: 60_000 });
    // Written as an older server stored it (the owner handle; no checks on the way in).
    await s.db
      .updateTable('tenant_policies')
      .set({ overrides: JSON.stringify(stored) })
      .where('tenant_id', '=', 'acme')
      .execute();
    for (const u of ['admin.acme', 'op.acme', 'aud.acme']) tok[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('loads: policy, /me and sign-in answer without the retired field, the rest intact', async () => {
    const expected = { orders: { customerName: { operator: 'masked' } } };
    const get = await api<TenantPolicy>(s.url, '/api/t/acme/policy', { token: tok['op.acme'] });
    expect(get.status).toBe(200);
    expect(get.body.overrides).toEqual(expected);
    const me = await api<{ policies: Record<string, TenantPolicy> }>(s.url, '/api/me', {
      token: tok['op.acme'],
    });
    expect(me.status).toBe(200);
    expect(me.body.policies.acme?.overrides).toEqual(expected);
    const again = await login(s.url, 'op.acme');
    expect(again.policies.acme?.overrides).toEqual(expected);
  });

  it('projects shipTo exactly as the default matrix does (operator reads it, auditor sees the mask)', async () => {
    const op = await api<PullResponse<Record<string, unknown>>>(s.url, '/api/t/acme/sync/orders/pull', {
      token: tok['op.acme'],
    });
    expect(op.status).toBe(200);
    expect(op.body.documents.length).toBeGreaterThan(0);
    for (const d of op.body.documents) {
      const shipTo = d.shipTo as { line1?: unknown; city?: unknown } | null;
      expect(typeof shipTo?.line1).toBe('string');
      expect(typeof shipTo?.city).toBe('string');
      // The override next to it still applies.
      expect(d.customerName).toBe(MASKED);
    }
    const aud = await api<PullResponse<Record<string, unknown>>>(s.url, '/api/t/acme/sync/orders/pull', {
      token: tok['aud.acme'],
    });
    expect(aud.status).toBe(200);
    for (const d of aud.body.documents) expect(d.shipTo).toBe(MASKED);
  });

  it('accepts the stored overrides sent back unchanged and stores them without the retired field', async () => {
    const put = await api<TenantPolicy>(s.url, '/api/t/acme/policy', {
      method: 'PUT',
      token: tok['admin.acme'],
      body: { overrides: stored, settings: {}, expectedVersion: 1, reason: 'saved from an older screen' },
    });
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(2);
    expect(put.body.overrides).toEqual({ orders: { customerName: { operator: 'masked' } } });
    const row = await s.db
      .selectFrom('tenant_policies')
      .select('overrides')
      .where('tenant_id', '=', 'acme')
      .executeTakeFirstOrThrow();
    const raw: unknown = typeof row.overrides === 'string' ? JSON.parse(row.overrides) : row.overrides;
    expect(JSON.stringify(raw)).not.toContain('shipToAddress');
  });
});
