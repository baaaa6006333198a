import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantPolicy } from '../../../shared/access/policy.js';
import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import type { AuditPage } from '../../../shared/api/audit.js';
import type { Grant, GrantList, Member, TenantSummary } from '../../../shared/api/grants.js';
import type { ReportResult } from '../../../shared/api/reports.js';
import type { ErrorBody, PullResponse } from '../../../shared/sync/protocol.js';
import { demoUserId } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, openSse, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
const H = 3600_000;

describe.each(backends)('grants, members, policy, reports, exports, audit (%s)', (backend) => {
  let s: TestServer;
  const tok: Record<string, string> = {};
  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 }, heartbeatMs: 60_000 });
    for (const u of [
      'admin.acme',
      'mgr',
      'op.acme',
      'op.initech',
      'fin.acme',
      'aud.acme',
      'op.globex',
      'fin.globex',
    ])
      tok[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });
  const window = (fromH: number, toH: number) => ({
    validFrom: new Date(Date.now() + fromH * H).toISOString(),
    validUntil: new Date(Date.now() + toH * H).toISOString(),
  });

  it('lists tenants and runs a grant from request to approval to revocation, audited', async () => {
    const tenants = await api<TenantSummary[]>(s.url, '/api/tenants', { token: tok['op.initech'] });
    expect(tenants.body.map((t) => t.id)).toEqual(['acme', 'globex', 'initech']);
    const req = await api<Grant>(s.url, '/api/grants', {
      token: tok['op.initech'],
      body: { tenantId: 'globex', role: 'operator', ...window(-1, 2), reason: 'peak season help' },
    });
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ status: 'pending', userId: demoUserId('op.initech'), canDecide: false });
    // Self-approval is refused, whatever the rights.
    const self = await api<ErrorBody>(s.url, `/api/grants/${req.body.id}/approve`, {
      token: tok['op.initech'],
      body: {},
    });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('self_approval');
    // An operator of the tenant may not approve.
    expect(
      (await api(s.url, `/api/grants/${req.body.id}/approve`, { token: tok['op.globex'], body: {} })).status,
    ).toBe(403);
    const list = await api<GrantList>(s.url, '/api/grants', { token: tok.mgr });
    expect(list.body.grants.find((g) => g.id === req.body.id)).toMatchObject({ canDecide: true });
    expect((await api(s.url, '/api/t/globex/sync/items/pull', { token: tok['op.initech'] })).status).toBe(
      403,
    );
    const ok = await api<Grant>(s.url, `/api/grants/${req.body.id}/approve`, {
      token: tok.mgr,
      body: { reason: 'fine' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', decidedBy: demoUserId('mgr'), canRevoke: true });
    expect(
      (await api(s.url, `/api/grants/${req.body.id}/approve`, { token: tok.mgr, body: {} })).status,
    ).toBe(409);
    const pulled = await api<PullResponse>(s.url, '/api/t/globex/sync/items/pull', {
      token: tok['op.initech'],
    });
    expect(pulled.status).toBe(200);
    const again = await api<ErrorBody>(s.url, '/api/grants', {
      token: tok['op.initech'],
      body: { tenantId: 'globex', role: 'operator', ...window(0, 5), reason: 'more time' },
    });
    expect(again.body.error.code).toBe('already_member');

    const stream = await openSse(s.url, 'globex', tok['op.initech'] ?? '');
    await stream.next((e) => e.type === 'hello');
    const rev = await api<Grant>(s.url, `/api/grants/${req.body.id}/revoke`, { token: tok.mgr, body: {} });
    expect(rev.body.status).toBe('revoked');
    expect(await stream.next((e) => e.type !== 'hello', 5000)).toEqual({
      type: 'membership-revoked',
      tenantId: 'globex',
    });
    stream.close();
    expect((await api(s.url, '/api/t/globex/sync/items/pull', { token: tok['op.initech'] })).status).toBe(
      403,
    );

    const audit = await api<AuditPage>(s.url, '/api/t/globex/audit', { token: tok.mgr });
    expect(audit.body.entries.filter((e) => e.entityId === req.body.id).map((e) => e.action)).toEqual([
      'grant:revoke',
      'grant:approve',
      'grant:request',
    ]);
  });

  it('refuses a window already over at approval, and requests for others by non-admins', async () => {
    const past = await api<ErrorBody>(s.url, '/api/grants', {
      token: tok['op.initech'],
      body: { tenantId: 'acme', role: 'auditor', ...window(-3, -1), reason: 'too late' },
    });
    expect(past.body.error.code).toBe('window_over');
    const forOther = await api<ErrorBody>(s.url, '/api/grants', {
      token: tok['op.acme'],
      body: {
        tenantId: 'acme',
        role: 'auditor',
        ...window(0, 1),
        reason: 'for a friend',
        username: 'op.globex',
      },
    });
    expect(forOther.status).toBe(403);
    const byAdmin = await api<Grant>(s.url, '/api/grants', {
      token: tok['admin.acme'],
      body: {
        tenantId: 'acme',
        role: 'auditor',
        ...window(0, 1),
        reason: 'for a colleague',
        username: 'op.globex',
      },
    });
    expect(byAdmin.status).toBe(201);
    // The requesting admin may not approve what they asked for.
    const self = await api<ErrorBody>(s.url, `/api/grants/${byAdmin.body.id}/approve`, {
      token: tok['admin.acme'],
      body: {},
    });
    expect(self.body.error.code).toBe('self_approval');
    const rej = await api<Grant>(s.url, `/api/grants/${byAdmin.body.id}/reject`, {
      token: tok.mgr,
      body: { reason: 'no' },
    });
    expect(rej.body.status).toBe('rejected');
  });

  it('changes a role: version bump, policy-changed to that user, audited; not for oneself', async () => {
    const members = await api<Member[]>(s.url, '/api/t/acme/members', { token: tok.mgr });
    expect(members.status).toBe(200);
    const aud = members.body.find((m) => m.userId === demoUserId('aud.acme'));
    expect(aud).toMatchObject({ role: 'auditor', policyVersion: 2 });
    expect((await api(s.url, '/api/t/acme/members', { token: tok['op.acme'] })).status).toBe(403);
    const stream = await openSse(s.url, 'acme', tok['aud.acme'] ?? '');
    await stream.next((e) => e.type === 'hello');
    const put = await api<Member>(s.url, `/api/t/acme/members/${demoUserId('aud.acme')}`, {
      method: 'PUT',
      token: tok['admin.acme'],
      body: { role: 'finance' },
    });
    expect(put.body).toMatchObject({ role: 'finance', policyVersion: 3 });
    expect(await stream.next((e) => e.type !== 'hello', 5000)).toEqual({
      type: 'policy-changed',
      tenantId: 'acme',
      policyVersion: 3,
    });
    stream.close();
    const self = await api<ErrorBody>(s.url, `/api/t/acme/members/${demoUserId('admin.acme')}`, {
      method: 'PUT',
      token: tok['admin.acme'],
      body: { role: 'operator' },
    });
    expect(self.body.error.code).toBe('self_change');
    expect(
      (
        await api(s.url, `/api/t/acme/members/${demoUserId('aud.acme')}`, {
          method: 'PUT',
          token: tok.mgr,
          body: { role: 'auditor' },
        })
      ).status,
    ).toBe(403);
  });

  it('edits the field policy: checks, optimistic version, events to every stream, projection everywhere', async () => {
    const get = await api<TenantPolicy>(s.url, '/api/t/acme/policy', { token: tok['op.acme'] });
    expect(get.body).toEqual({
      version: 1,
      overrides: {},
      settings: DEFAULT_TENANT_SETTINGS,
    });
    const loosen = await api<ErrorBody>(s.url, '/api/t/acme/policy', {
      method: 'PUT',
      token: tok['admin.acme'],
      body: {
        overrides: { items: { purchasePrice: { manager: 'rw' } } },
        settings: {},
        expectedVersion: 1,
        reason: 'try',
      },
    });
    expect(loosen.status).toBe(400);
    expect(loosen.body.error.code).toBe('invalid_policy');
    const streams = await Promise.all(
      ['op.acme', 'fin.acme'].map((u) => openSse(s.url, 'acme', tok[u] ?? '')),
    );
    for (const st of streams) await st.next((e) => e.type === 'hello');
    const put = await api<TenantPolicy>(s.url, '/api/t/acme/policy', {
      method: 'PUT',
      token: tok['admin.acme'],
      body: {
        overrides: { items: { purchasePrice: { finance: 'masked' } } },
        settings: { tenantColumn: 'required', wipeOnLogout: true },
        expectedVersion: 1,
        reason: 'prices are confidential',
      },
    });
    expect(put.body.version).toBe(2);
    for (const st of streams) {
      expect(await st.next((e) => e.type === 'policy-changed', 5000)).toEqual({
        type: 'policy-changed',
        tenantId: 'acme',
        policyVersion: 3,
      });
      st.close();
    }
    const stale = await api<ErrorBody>(s.url, '/api/t/acme/policy', {
      method: 'PUT',
      token: tok['admin.acme'],
      body: { overrides: {}, settings: {}, expectedVersion: 1, reason: 'old tab' },
    });
    expect(stale.status).toBe(409);
    expect(
      (
        await api(s.url, '/api/t/acme/policy', {
          method: 'PUT',
          token: tok.mgr,
          body: { overrides: {}, settings: {}, expectedVersion: 2, reason: 'not mine' },
        })
      ).status,
    ).toBe(403);
    const fin = await api<PullResponse<Record<string, unknown>>>(s.url, '/api/t/acme/sync/items/pull', {
      token: tok['fin.acme'],
    });
    for (const d of fin.body.documents) expect(d.purchasePrice).toBe('•••');
    const report = await api<ReportResult>(s.url, '/api/t/acme/reports/inventory', {
      token: tok['fin.acme'],
    });
    expect(report.body.tenantColumn).toBe(true);
    expect(report.body.columns.map((c) => c.key)).toEqual(['tenantId', 'sku', 'name', 'uom', 'onHand']);
    const me = await api<{ policies: Record<string, TenantPolicy> }>(s.url, '/api/me', {
      token: tok['fin.acme'],
    });
    expect(me.body.policies.acme?.settings.wipeOnLogout).toBe(true);
    const audit = await api<AuditPage>(s.url, '/api/t/acme/audit', { token: tok['admin.acme'] });
    expect(audit.body.entries.find((e) => e.action === 'policy:edit')).toMatchObject({
      before: { version: 1 },
      after: { version: 2 },
    });
  });

  it('reports across tenants with per-tenant projection; exports CSV with an audit entry', async () => {
    const cross = await api<ReportResult>(s.url, '/api/reports/inventory?tenants=acme,globex', {
      token: tok.mgr,
    });
    expect(cross.status).toBe(200);
    expect(new Set(cross.body.rows.map((r) => r.tenantId))).toEqual(new Set(['acme', 'globex']));
    for (const r of cross.body.rows) expect(r).not.toHaveProperty('purchasePrice');
    const denied = await api<ErrorBody>(s.url, '/api/reports/inventory?tenants=acme,initech', {
      token: tok.mgr,
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).not.toMatch(/initech|acme/);
    expect((await api(s.url, '/api/reports/inventory?tenants=acme', { token: tok['op.acme'] })).status).toBe(
      403,
    );
    const res = await fetch(`${s.url}/api/t/globex/export/inventory?format=csv`, {
      headers: { authorization: `Bearer ${tok['fin.globex']}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="inventory-globex-/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('SKU,Name,UoM,On hand,Purchase price,Value');
    expect(lines).toHaveLength(5);
    const xlsx = await api<ErrorBody>(s.url, '/api/t/globex/export/inventory?format=pdf', {
      token: tok['fin.globex'],
    });
    expect(xlsx.body.error.code).toBe('unsupported_format');
    expect((await api(s.url, '/api/t/globex/export/inventory', { token: tok['op.globex'] })).status).toBe(
      403,
    );
    const audit = await api<AuditPage>(s.url, '/api/t/globex/audit', { token: tok['fin.globex'] });
    expect(audit.body.entries[0]).toMatchObject({
      action: 'export',
      entity: 'report',
      actorId: demoUserId('fin.globex'),
    });
  });

  it('projects audit snapshots for the reader; operators see only their own entries', async () => {
    const pull = await api<PullResponse<Record<string, unknown>>>(s.url, '/api/t/globex/sync/items/pull', {
      token: tok['fin.globex'],
    });
    const item = pull.body.documents[0] ?? {};
    const r = await api(s.url, '/api/t/globex/sync/items/push', {
      token: tok['fin.globex'],
      body: {
        changes: [{ assumedMasterState: item, newDocumentState: { ...item, purchasePrice: 77.7 } }],
        audit: auditFor(demoUserId('fin.globex'), 'items', [{ newDocumentState: item }]),
      },
    });
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    const mgr = await api<AuditPage>(s.url, '/api/t/globex/audit', { token: tok.mgr });
    const e = mgr.body.entries.find((x) => x.entity === 'items' && x.entityId === item.id);
    expect(e?.after).toBeDefined();
    expect(e?.after).not.toHaveProperty('purchasePrice');
    expect(e?.before).not.toHaveProperty('purchasePrice');
    const fin = await api<AuditPage>(s.url, '/api/t/globex/audit', { token: tok['fin.globex'] });
    expect(fin.body.entries.find((x) => x.entityId === item.id)?.after).toMatchObject({
      purchasePrice: 77.7,
    });
    const op = await api<AuditPage>(s.url, '/api/t/globex/audit', { token: tok['op.globex'] });
    expect(op.status).toBe(200);
    for (const x of op.body.entries) expect(x.actorId).toBe(demoUserId('op.globex'));
  });
});
