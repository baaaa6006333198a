import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteLocation, SitesResponse, SiteWarehouse } from '../../../shared/api/sites.js';
import type { LocationsResponse } from '../../../shared/domain/floor.js';
import type { MovementDoc } from '../../../shared/domain/schemas.js';
import type { PullResponse, PushResponse } from '../../../shared/sync/protocol.js';
import { demoBinOf, demoUserId, stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, openSse, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
type ErrorAnswer = { error: { code: string; message: string } };

describe.each(backends)('sites & bins administration (%s)', (backend) => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const call = <T = unknown>(user: string | null, path: string, method = 'GET', body?: unknown) =>
    api<T>(s.url, path, { method, token: user === null ? undefined : tokens[user], body });

  /** Everything a refused request must leave alone: the site tables, every audit row and chain head. */
  const state = async () => {
    const q = async (table: string) => {
      const r = await sql<{ n: number | string; h: string | null }>`
        SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${sql.table(table)} t`.execute(
        s.db,
      );
      return `${table}:${r.rows[0]?.n}:${r.rows[0]?.h}`;
    };
    return [await q('warehouses'), await q('locations'), await q('audit_log'), await q('tenant_seq')];
  };
  const siteAudit = (entityId: string) =>
    s.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity_id', '=', entityId)
      .where('entity', 'in', ['location', 'warehouse'])
      .orderBy('tenant_id')
      .orderBy('seq')
      .execute();
  const bin = (id: string, over: Partial<SiteLocation> = {}) => ({
    id,
    warehouseId: 'WH1',
    name: `Bin ${id}`,
    barcode: `LOC-${id}`,
    kind: 'storage',
    ...over,
  });
  const edit = (l: SiteLocation, over: Record<string, unknown> = {}) => ({
    warehouseId: l.warehouseId,
    name: l.name,
    barcode: l.barcode,
    kind: l.kind,
    active: l.active,
    ...over,
  });

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 } });
    for (const u of ['admin.acme', 'op.acme', 'mgr', 'op.globex', 'aud.acme'])
      tokens[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('everyone signed in reads the site; only admins may change it, and a refusal changes nothing', async () => {
    expect((await call(null, '/api/sites')).status).toBe(401);
    const asOp = await call<SitesResponse>('op.globex', '/api/sites');
    expect(asOp.status).toBe(200);
    expect(asOp.body.mayEdit).toBe(false);
    expect(asOp.body.warehouses).toEqual([{ id: 'WH1', name: 'Main warehouse', active: true }]);
    expect(asOp.body.locations.find((l) => l.id === 'RCV-01')).toMatchObject({
      barcode: 'LOC-RCV-01',
      kind: 'receiving',
      active: true,
    });
    expect((await call<SitesResponse>('admin.acme', '/api/sites')).body.mayEdit).toBe(true);

    const before = await state();
    const existing = asOp.body.locations.find((l) => l.id === demoBinOf(3));
    if (!existing) throw new Error('demo bin missing');
    for (const user of ['op.acme', 'mgr', 'aud.acme', 'op.globex']) {
      const attempts = [
        await call(user, '/api/sites/locations', 'POST', bin('X-01')),
        await call(user, `/api/sites/locations/${existing.id}`, 'PUT', edit(existing, { name: 'Hijacked' })),
        await call(user, '/api/sites/warehouses', 'POST', { id: 'WH9', name: 'Nope' }),
        await call(user, '/api/sites/warehouses/WH1', 'PUT', { name: 'Renamed', active: true }),
      ];
      for (const r of attempts) {
        expect(r.status, `${user}: ${JSON.stringify(r.body)}`).toBe(403);
        expect((r.body as ErrorAnswer).error.code).toBe('forbidden');
      }
    }
    expect(await state()).toEqual(before);
  });

  it('invalid input is refused with a clear 400 or 409 and changes nothing', async () => {
    const before = await state();
    const cases: [string, string, unknown, number, string, RegExp][] = [
      ['POST', '/api/sites/locations', bin('b-01'), 400, 'invalid_request', /id location code/],
      ['POST', '/api/sites/locations', bin('B-01', { name: '   ' }), 400, 'invalid_request', /name/],
      [
        'POST',
        '/api/sites/locations',
        bin('B-01', { kind: 'attic' as never }),
        400,
        'invalid_request',
        /kind/,
      ],
      ['POST', '/api/sites/locations', { ...bin('B-01'), extra: 1 }, 400, 'invalid_request', /extra/],
      [
        'POST',
        '/api/sites/locations',
        bin('B-01', { barcode: 'has space' }),
        400,
        'invalid_request',
        /barcode/,
      ],
      ['POST', '/api/sites/locations', bin('B-01', { warehouseId: 'WH7' }), 400, 'unknown_warehouse', /WH7/],
      [
        'POST',
        '/api/sites/locations',
        bin('A-01-01', { barcode: 'NEW-1' }),
        409,
        'duplicate_code',
        /A-01-01/,
      ],
      [
        'POST',
        '/api/sites/locations',
        bin('B-01', { barcode: 'LOC-RCV-01' }),
        409,
        'duplicate_barcode',
        /RCV-01/,
      ],
      // A barcode that is another location's code would make a scan ambiguous.
      [
        'POST',
        '/api/sites/locations',
        bin('B-01', { barcode: 'stg-01' }),
        409,
        'duplicate_barcode',
        /STG-01/,
      ],
      ['POST', '/api/sites/locations', '"just a string"', 400, 'invalid_request', /invalid/],
      [
        'POST',
        '/api/sites/warehouses',
        { id: 'wh1', name: 'Lower case' },
        400,
        'invalid_request',
        /warehouse/,
      ],
      ['POST', '/api/sites/warehouses', { id: 'WH1', name: 'Again' }, 409, 'duplicate_code', /WH1/],
      [
        'PUT',
        '/api/sites/locations/NOPE-1',
        edit(bin('NOPE-1') as never, { active: true }),
        404,
        'not_found',
        /NOPE-1/,
      ],
      [
        'PUT',
        '/api/sites/locations/a b',
        edit(bin('X') as never, { active: true }),
        400,
        'invalid_request',
        /code/,
      ],
      [
        'PUT',
        '/api/sites/locations/RCV-02',
        edit(bin('RCV-02', { name: 'Dock 2', kind: 'receiving', barcode: 'LOC-RCV-01' }) as never, {
          active: true,
        }),
        409,
        'duplicate_barcode',
        /RCV-01/,
      ],
      ['PUT', '/api/sites/warehouses/WH1', { name: '', active: true }, 400, 'invalid_request', /name/],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const r =
        typeof body === 'string'
          ? await api<ErrorAnswer>(s.url, path, { method, token: tokens['admin.acme'], rawBody: body })
          : await call<ErrorAnswer>('admin.acme', path, method, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toMatch(message);
    }
    expect(await state()).toEqual(before);
  });

  it('creates a bin: audited with before/after, served to every client, announced on their streams', async () => {
    const globexStream = await openSse(s.url, 'globex', tokens['op.globex'] ?? '');
    await globexStream.next((e) => e.type === 'hello');
    const r = await call<SiteLocation>('admin.acme', '/api/sites/locations', 'POST', bin('B-02-01'));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: 'B-02-01', barcode: 'LOC-B-02-01', active: true, kind: 'storage' });
    const change = await globexStream.next((e) => e.type === 'change');
    expect(change).toMatchObject({ type: 'change', tenantId: 'globex', collections: ['locations'] });
    globexStream.close();

    // Site-wide: a globex operator reads it and pulls it into the globex partition.
    const list = await call<LocationsResponse>('op.globex', '/api/locations');
    expect(list.body.locations.find((l) => l.id === 'B-02-01')).toMatchObject({ barcode: 'LOC-B-02-01' });
    const pulled = await call<PullResponse<Record<string, unknown>>>(
      'op.globex',
      '/api/t/globex/sync/locations/pull?limit=1000',
    );
    expect(pulled.body.documents.find((d) => d['id'] === 'B-02-01')).toBeDefined();

    // Audited in the chain of the client the actor administers (acme), by the authenticated actor.
    const entries = await siteAudit('B-02-01');
    expect(entries.map((e) => [e.tenant_id, e.action, e.entity, e.actor_id])).toEqual([
      ['acme', 'location:create', 'location', demoUserId('admin.acme')],
    ]);
    expect(entries[0]?.before).toBeNull();
    expect(entries[0]?.after).toEqual({
      id: 'B-02-01',
      warehouseId: 'WH1',
      name: 'Bin B-02-01',
      barcode: 'LOC-B-02-01',
      kind: 'storage',
      active: true,
    });
    // The admin reads it through the audit API too, and the chain still verifies.
    const page = await call<{ entries: { action: string; entityId: string }[] }>(
      'admin.acme',
      '/api/t/acme/audit?entity=location&limit=10',
    );
    expect(page.body.entries.map((e) => [e.action, e.entityId])).toContainEqual([
      'location:create',
      'B-02-01',
    ]);
    expect((await call<{ ok: boolean }>('admin.acme', '/api/t/acme/audit/verify')).body.ok).toBe(true);
  });

  it('edits a bin: before/after in the audit, a new sequence so devices pull the change', async () => {
    const created = await call<SiteLocation>('admin.acme', '/api/sites/locations', 'POST', bin('B-03-01'));
    const r = await call<SiteLocation>(
      'admin.acme',
      '/api/sites/locations/B-03-01',
      'PUT',
      edit(created.body, { name: 'Overflow bin', barcode: 'OVF-0301', kind: 'staging' }),
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Overflow bin', barcode: 'OVF-0301', kind: 'staging' });
    expect(r.body.seq).toBeGreaterThan(created.body.seq);
    const [entry] = (await siteAudit('B-03-01')).filter((e) => e.action === 'location:edit');
    expect(entry?.before).toMatchObject({ name: 'Bin B-03-01', barcode: 'LOC-B-03-01', kind: 'storage' });
    expect(entry?.after).toMatchObject({ name: 'Overflow bin', barcode: 'OVF-0301', kind: 'staging' });
    // The same state again is no change: no new entry.
    const again = await call('admin.acme', '/api/sites/locations/B-03-01', 'PUT', edit(r.body));
    expect(again.status).toBe(200);
    expect((await siteAudit('B-03-01')).length).toBe(2);
  });

  it('deactivation needs the code retyped, and is refused while any client holds stock there', async () => {
    // acme's opening stock lies in demoBinOf(1).
    const stocked = demoBinOf(1);
    const sites = await call<SitesResponse>('admin.acme', '/api/sites');
    const loc = sites.body.locations.find((l) => l.id === stocked);
    if (!loc) throw new Error('demo bin missing');
    const before = await state();
    const noConfirm = await call<ErrorAnswer>(
      'admin.acme',
      `/api/sites/locations/${stocked}`,
      'PUT',
      edit(loc, { active: false }),
    );
    expect(noConfirm.status).toBe(400);
    expect(noConfirm.body.error.code).toBe('confirmation_required');
    const wrong = await call<ErrorAnswer>(
      'admin.acme',
      `/api/sites/locations/${stocked}`,
      'PUT',
      edit(loc, { active: false, confirmation: { typed: 'A-99-99', reason: 'aisle closed' } }),
    );
    expect(wrong.body.error.code).toBe('confirmation_mismatch');
    const held = await call<ErrorAnswer>(
      'admin.acme',
      `/api/sites/locations/${stocked}`,
      'PUT',
      edit(loc, { active: false, confirmation: { typed: stocked, reason: 'aisle closed' } }),
    );
    expect(held.status).toBe(409);
    expect(held.body.error).toMatchObject({ code: 'location_holds_stock' });
    expect(held.body.error.message).toContain(stocked);
    expect(await state()).toEqual(before);

    // Stock of a client the admin cannot see (globex) blocks it just the same, without naming it.
    const created = await call<SiteLocation>('admin.acme', '/api/sites/locations', 'POST', bin('B-04-01'));
    const m: MovementDoc = {
      id: randomUUID(),
      tenantId: 'globex',
      itemId: stableUuid('globex/item/1'),
      type: 'receipt',
      quantity: 3,
      fromLocationId: null,
      toLocationId: 'B-04-01',
      batch: null,
      note: null,
      createdAt: new Date().toISOString(),
      createdBy: 'whoever',
      deviceId: 'scanner-1',
      seq: 0,
    };
    const changes = [{ newDocumentState: m, assumedMasterState: null }];
    const pushed = await api<PushResponse>(s.url, '/api/t/globex/sync/movements/push', {
      token: tokens['op.globex'],
      body: { changes, audit: auditFor(demoUserId('op.globex'), 'movements', changes) },
    });
    expect(pushed.body).toMatchObject({ rejections: [] });
    const blocked = await call<ErrorAnswer>(
      'admin.acme',
      '/api/sites/locations/B-04-01',
      'PUT',
      edit(created.body, { active: false, confirmation: { typed: 'b-04-01', reason: 'not needed' } }),
    );
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.code).toBe('location_holds_stock');
    expect(JSON.stringify(blocked.body)).not.toContain('globex');
  });

  it('deactivates an empty bin: confirmed, audited, gone from reads and pulled as deleted; reactivates', async () => {
    const created = await call<SiteLocation>('admin.acme', '/api/sites/locations', 'POST', bin('B-05-01'));
    const pulledBefore = await call<PullResponse<Record<string, unknown>>>(
      'op.acme',
      '/api/t/acme/sync/locations/pull?limit=1000',
    );
    const checkpoint = (pulledBefore.body.checkpoint as { seq: number }).seq;
    const off = await call<SiteLocation>(
      'admin.acme',
      '/api/sites/locations/B-05-01',
      'PUT',
      edit(created.body, { active: false, confirmation: { typed: 'B-05-01', reason: 'bay removed' } }),
    );
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    const list = await call<LocationsResponse>('op.acme', '/api/locations');
    expect(list.body.locations.map((l) => l.id)).not.toContain('B-05-01');
    const delta = await call<PullResponse<Record<string, unknown>>>(
      'op.acme',
      `/api/t/acme/sync/locations/pull?checkpoint=${checkpoint}&limit=1000`,
    );
    expect(delta.body.documents).toEqual([expect.objectContaining({ id: 'B-05-01', _deleted: true })]);
    const deact = (await siteAudit('B-05-01')).find((e) => e.action === 'location:deactivate');
    expect(deact?.before).toMatchObject({ active: true });
    expect(deact?.after).toMatchObject({ active: false });
    expect(deact?.reason).toBe('bay removed');
    expect(deact?.confirmation).toMatchObject({ typed: 'B-05-01', reason: 'bay removed' });

    const on = await call<SiteLocation>(
      'admin.acme',
      '/api/sites/locations/B-05-01',
      'PUT',
      edit(off.body, { active: true }),
    );
    expect(on.body.active).toBe(true);
    expect((await siteAudit('B-05-01')).map((e) => e.action)).toEqual([
      'location:create',
      'location:deactivate',
      'location:reactivate',
    ]);
  });

  it('warehouses: created, renamed, and not deactivated while they have active locations', async () => {
    const wh = await call<SiteWarehouse>('admin.acme', '/api/sites/warehouses', 'POST', {
      id: 'WH2',
      name: 'Annex',
    });
    expect(wh.status).toBe(201);
    const l = await call<SiteLocation>(
      'admin.acme',
      '/api/sites/locations',
      'POST',
      bin('C-01', { warehouseId: 'WH2' }),
    );
    expect(l.status).toBe(201);
    const busy = await call<ErrorAnswer>('admin.acme', '/api/sites/warehouses/WH2', 'PUT', {
      name: 'Annex',
      active: false,
      confirmation: { typed: 'WH2', reason: 'lease ends' },
    });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('warehouse_in_use');
    await call('admin.acme', '/api/sites/locations/C-01', 'PUT', {
      ...edit(l.body),
      active: false,
      confirmation: { typed: 'C-01', reason: 'lease ends' },
    });
    const off = await call<SiteWarehouse>('admin.acme', '/api/sites/warehouses/WH2', 'PUT', {
      name: 'Annex (closed)',
      active: false,
      confirmation: { typed: 'wh2', reason: 'lease ends' },
    });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ id: 'WH2', name: 'Annex (closed)', active: false });
    const refused = await call<ErrorAnswer>(
      'admin.acme',
      '/api/sites/locations',
      'POST',
      bin('C-02', { warehouseId: 'WH2' }),
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('warehouse_inactive');
    expect(
      (await call<LocationsResponse>('op.acme', '/api/locations')).body.warehouses.map((w) => w.id),
    ).toEqual(['WH1']);
    expect((await siteAudit('WH2')).map((e) => [e.action, e.before, e.after])).toEqual([
      ['warehouse:create', null, { id: 'WH2', name: 'Annex', active: true }],
      [
        'warehouse:deactivate',
        { id: 'WH2', name: 'Annex', active: true },
        { id: 'WH2', name: 'Annex (closed)', active: false },
      ],
    ]);
  });
});
