import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../../server/app.js';
import { ScopeViolation } from '../../../server/db/guard.js';
import { withIdentity, withTenantScope } from '../../../server/db/scope.js';
import { demoUserId } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, openSse, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();

describe.each(backends)('scope guard (%s)', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('throws ScopeViolation for a tenant table outside a tenant scope, and records it', async () => {
    const before = s.database.guard.violations.length;
    await expect(s.appDb.selectFrom('items').selectAll().execute()).rejects.toBeInstanceOf(ScopeViolation);
    await expect(sql`SELECT count(*) FROM audit_log`.execute(s.appDb)).rejects.toBeInstanceOf(ScopeViolation);
    await expect(
      withIdentity(s.database, (tx) => tx.selectFrom('tenant_policies').selectAll().execute()),
    ).rejects.toBeInstanceOf(ScopeViolation);
    await expect(
      withIdentity(s.database, (tx) =>
        tx
          .selectFrom('memberships')
          .innerJoin('balances', 'balances.tenant_id', 'memberships.tenant_id')
          .selectAll()
          .execute(),
      ),
    ).rejects.toBeInstanceOf(ScopeViolation);
    expect(s.database.guard.violations.length - before).toBe(4);
    s.database.guard.violations.splice(before);
    // Identity tables are fine at identity level; tenant tables inside the tenant scope.
    await expect(
      withIdentity(s.database, (tx) => tx.selectFrom('users').select('id').execute()),
    ).resolves.toBeDefined();
    const n = await withTenantScope(
      s.database,
      demoUserId('op.acme'),
      'acme',
      async (tx) => (await tx.selectFrom('items').select('id').execute()).length,
    );
    expect(n).toBe(4);
    expect(s.database.guard.violations).toEqual([]);
  });

  it('drives every registered route without a scope violation or a server error', async () => {
    const routes = (ROUTE_TABLE.get(s.app) ?? []).filter(
      (r) => r.method !== 'HEAD' && r.method !== 'OPTIONS',
    );
    expect(routes.length).toBeGreaterThan(15);
    const admin = await login(s.url, 'admin.acme');
    const tokens = [
      admin.accessToken,
      (await login(s.url, 'mgr')).accessToken,
      (await login(s.url, 'op.acme')).accessToken,
    ];
    const day = 86_400_000;
    const grant = await api<{ id: string }>(s.url, '/api/grants', {
      token: (await login(s.url, 'op.initech')).accessToken,
      body: {
        tenantId: 'acme',
        role: 'auditor',
        validFrom: new Date(Date.now() - day).toISOString(),
        validUntil: new Date(Date.now() + day).toISOString(),
        reason: 'stocktake help',
      },
    });
    expect(grant.status).toBe(201);
    const bodies: Record<string, unknown> = {
      'POST /api/auth/login': { username: 'fin.acme', password: 'demo1234', deviceId: 'd' },
      'POST /api/auth/refresh': { refreshToken: admin.refreshToken },
      'POST /api/auth/logout': { refreshToken: 'x'.repeat(20) },
      'POST /api/t/:tenant/sync/:collection/push': {
        changes: [{ newDocumentState: { id: '00000000-0000-4000-8000-000000000000', tenantId: 'acme' } }],
      },
      'POST /api/grants': {
        tenantId: 'globex',
        role: 'auditor',
        validFrom: new Date(Date.now()).toISOString(),
        validUntil: new Date(Date.now() + day).toISOString(),
        reason: 'route sweep',
      },
      'PUT /api/t/:tenant/members/:userId': { role: 'finance' },
      'PUT /api/t/:tenant/policy': {
        overrides: { items: { purchasePrice: { finance: 'r' } } },
        settings: { tenantColumn: 'required', wipeOnLogout: true },
        expectedVersion: 1,
        reason: 'route sweep',
      },
      'POST /api/grants/:id/approve': { reason: 'ok' },
      'POST /api/grants/:id/reject': {},
      'POST /api/grants/:id/revoke': {},
    };
    const queries: Record<string, string> = {
      'GET /api/reports/:report': '?tenants=acme,globex',
      'GET /api/t/:tenant/export/:report': '?format=csv',
      'GET /api/t/:tenant/audit': '?limit=5',
    };
    const seen: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.url}`;
      const path =
        r.url
          .replace(':tenant', 'acme')
          .replace(':collection', 'items')
          .replace(':report', 'inventory')
          .replace(':userId', demoUserId('fin.acme'))
          .replace(':id', grant.body.id)
          .replace(/\*$/, 'x') + (queries[key] ?? '');
      for (const token of tokens) {
        if (r.url.endsWith('/sync/stream')) {
          const sse = await openSse(s.url, 'acme', token);
          if (sse.status === 200) await sse.next((e) => e.type === 'hello');
          sse.close();
          continue;
        }
        const res = await api(s.url, path, {
          method: r.method,
          token,
          body: bodies[key] ?? (r.method === 'GET' || r.method === 'DELETE' ? undefined : {}),
        });
        expect(res.status, `${key} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
      }
      seen.push(key);
    }
    expect(seen).toContain('GET /api/t/:tenant/audit');
    expect(s.database.guard.violations).toEqual([]);
  });
});
