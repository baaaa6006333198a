import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '../../../shared/api/audit.js';
import type { ReportName, ReportResult } from '../../../shared/api/reports.js';
import { ReportName as ReportNames } from '../../../shared/api/reports.js';
import { balanceId } from '../../../shared/domain/schemas.js';
import type { ErrorBody } from '../../../shared/sync/protocol.js';
import { demoUserId } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
const ALL: ReportName[] = ReportNames.options;
/** Reports every role with report rights may run (valuation needs purchase-price read). */
const OPEN = ALL.filter((r) => r !== 'valuation');
/** A marker only initech's data carries: it must never reach anyone outside initech. */
const CANARY = 'INITECH-CANARY';
const PRICE_KEYS = ['purchasePrice', 'value'];

type Fixture = { itemId: string; sku: string; price: number };

/**
 * Arranges floor-like data with the owner handle (bypassing RLS): in every tenant a batch with an
 * expiry 10 days out in bin BIN-X, a shipment two days ago and a receipt today. initech's item
 * names carry the canary.
 */
async function arrange(s: TestServer): Promise<Record<string, Fixture>> {
  // The floor migration adds these columns (text expiry, uuid reference); the statements are no-ops then.
  await sql`ALTER TABLE balances ADD COLUMN IF NOT EXISTS expires_at text`.execute(s.db);
  await sql`ALTER TABLE movements ADD COLUMN IF NOT EXISTS ref_id uuid`.execute(s.db);
  await sql`UPDATE items SET name = ${CANARY} || ' ' || name WHERE tenant_id = 'initech'`.execute(s.db);
  const out: Record<string, Fixture> = {};
  for (const tenant of ['acme', 'globex', 'initech']) {
    const item = await s.db
      .selectFrom('items')
      .select(['id', 'sku', 'purchase_price'])
      .where('tenant_id', '=', tenant)
      .orderBy('sku')
      .executeTakeFirstOrThrow();
    out[tenant] = { itemId: item.id, sku: item.sku, price: Number(item.purchase_price) };
    const seq = Number(
      (
        await s.db
          .selectFrom('tenant_seq')
          .select('last_seq')
          .where('tenant_id', '=', tenant)
          .executeTakeFirstOrThrow()
      ).last_seq,
    );
    await s.db
      .insertInto('balances')
      .values({
        tenant_id: tenant,
        id: balanceId(item.id, 'BIN-X', 'B-1'),
        item_id: item.id,
        location_id: 'BIN-X',
        batch: 'B-1',
        quantity: 7,
        updated_at: new Date(),
        seq: seq + 1,
      })
      .execute();
    await sql`UPDATE balances SET expires_at = ${day(10)} WHERE tenant_id = ${tenant} AND batch = 'B-1'`.execute(
      s.db,
    );
    const mv = (type: string, offset: number, n: number) => ({
      tenant_id: tenant,
      id: randomUUID(),
      item_id: item.id,
      type,
      quantity: 3,
      from_location_id: type === 'ship' ? 'BIN-X' : null,
      to_location_id: type === 'ship' ? null : 'BIN-X',
      batch: 'B-1',
      note: null,
      created_at: new Date(Date.now() + offset * DAY),
      created_by: 'test',
      device_id: 'test',
      received_at: new Date(),
      seq: seq + n,
    });
    const ship = mv('ship', -2, 2);
    await s.db
      .insertInto('movements')
      .values([ship, mv('receipt', 0, 3)])
      .execute();
    await sql`UPDATE movements SET ref_id = ${randomUUID()}::uuid WHERE tenant_id = ${tenant} AND id = ${ship.id}`.execute(
      s.db,
    );
    await s.db
      .updateTable('tenant_seq')
      .set({ last_seq: seq + 3 })
      .where('tenant_id', '=', tenant)
      .execute();
  }
  return out;
}

describe.each(backends)('reports: tenants, fields, valuation, exports (%s)', (backend) => {
  let s: TestServer;
  let fx: Record<string, Fixture>;
  const tok: Record<string, string> = {};
  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 }, heartbeatMs: 60_000 });
    fx = await arrange(s);
    for (const u of ['admin.acme', 'mgr', 'op.acme', 'fin.acme', 'aud.acme', 'op.globex', 'fin.globex'])
      tok[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });
  const get = <T = ReportResult>(path: string, who: string) => api<T>(s.url, path, { token: tok[who] });

  it('every report of one tenant holds only that tenant and no purchase price for an operator', async () => {
    for (const report of OPEN) {
      const r = await get(`/api/t/acme/reports/${report}`, 'op.acme');
      expect(r.status, report).toBe(200);
      expect(r.body.report).toBe(report);
      expect(r.body.tenants).toEqual(['acme']);
      expect(JSON.stringify(r.body), report).not.toContain(CANARY);
      expect(JSON.stringify(r.body), report).not.toContain(fx.globex?.sku);
      for (const k of PRICE_KEYS)
        expect(
          r.body.columns.map((c) => c.key),
          report,
        ).not.toContain(k);
      for (const row of r.body.rows) for (const k of PRICE_KEYS) expect(row, report).not.toHaveProperty(k);
      expect(r.body.rows.length, report).toBeGreaterThan(0);
    }
    // The operator may not ask for another tenant, nor across tenants.
    expect((await get('/api/t/globex/reports/movements', 'op.acme')).status).toBe(403);
    expect((await get('/api/reports/movements?tenants=acme', 'op.acme')).status).toBe(403);
  });

  it('cross-tenant reports of the manager of acme and globex show the tenant column and nothing of initech', async () => {
    for (const report of OPEN) {
      const r = await get(`/api/reports/${report}?tenants=acme,globex`, 'mgr');
      expect(r.status, report).toBe(200);
      expect(r.body.tenantColumn).toBe(true);
      expect(r.body.columns[0]?.key).toBe('tenantId');
      expect(JSON.stringify(r.body), report).not.toContain(CANARY);
      const seen = new Set(r.body.rows.map((x) => x.tenantId));
      expect(seen, report).toEqual(new Set(['acme', 'globex']));
      for (const row of r.body.rows) for (const k of PRICE_KEYS) expect(row, report).not.toHaveProperty(k);
    }
    const denied = await get<ErrorBody>('/api/reports/inventory-by-location?tenants=acme,initech', 'mgr');
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).not.toMatch(/initech|acme/);
  });

  it('valuation is refused to roles without purchase-price read, and computed for finance', async () => {
    for (const who of ['op.acme', 'mgr']) {
      const r = await get<ErrorBody>('/api/t/acme/reports/valuation', who);
      expect(r.status, who).toBe(403);
      expect(JSON.stringify(r.body)).not.toMatch(/\d+\.\d\d/);
      const x = await api(s.url, '/api/t/acme/export/valuation?format=csv', { token: tok[who] });
      expect(x.status, who).toBe(403);
    }
    expect((await get('/api/reports/valuation?tenants=acme,globex', 'mgr')).status).toBe(403);
    const fin = await get('/api/t/acme/reports/valuation', 'fin.acme');
    expect(fin.status).toBe(200);
    expect(fin.body.columns.map((c) => c.key)).toEqual([
      'sku',
      'name',
      'uom',
      'onHand',
      'purchasePrice',
      'value',
    ]);
    const a = fx.acme;
    if (!a) throw new Error('no fixture');
    const row = fin.body.rows.find((x) => x.sku === a.sku);
    const onHand = Number(
      (
        await s.db
          .selectFrom('balances')
          .select((e) => e.fn.sum<string | number>('quantity').as('q'))
          .where('tenant_id', '=', 'acme')
          .where('item_id', '=', a.itemId)
          .executeTakeFirstOrThrow()
      ).q,
    );
    expect(row).toMatchObject({
      onHand,
      purchasePrice: a.price,
      value: Math.round(onHand * a.price * 100) / 100,
    });
    // The auditor reads prices (r), so it may run the valuation too.
    expect((await get('/api/t/acme/reports/valuation', 'aud.acme')).status).toBe(200);
  });

  it('filters: movement type and date range, expiry horizon; bad filters are 400', async () => {
    const ships = await get(`/api/t/acme/reports/movements?type=ship`, 'op.acme');
    expect(ships.body.rows.length).toBeGreaterThan(0);
    expect(new Set(ships.body.rows.map((r) => r.type))).toEqual(new Set(['ship']));
    const today = await get(`/api/t/acme/reports/movements?type=ship&from=${day(0)}&to=${day(0)}`, 'op.acme');
    expect(today.body.rows).toEqual([]);
    const shipping = await get(`/api/t/acme/reports/shipping?from=${day(-3)}&to=${day(-1)}`, 'op.acme');
    expect(shipping.body.rows).toEqual([{ day: day(-2), documents: 1, lines: 1, items: 1, quantity: 3 }]);
    expect(shipping.body.filters).toEqual({ from: day(-3), to: day(-1) });
    const receiving = await get(`/api/t/acme/reports/receiving?from=${day(-1)}`, 'op.acme');
    expect(receiving.body.rows.find((r) => r.day === day(0))).toMatchObject({ lines: 5, items: 4 });
    const soon = await get('/api/t/acme/reports/inventory-by-expiry?days=30', 'op.acme');
    expect(soon.body.rows).toEqual([
      expect.objectContaining({
        sku: fx.acme?.sku,
        batch: 'B-1',
        expiresAt: day(10),
        daysLeft: 10,
        onHand: 7,
      }),
    ]);
    expect((await get('/api/t/acme/reports/inventory-by-expiry?days=5', 'op.acme')).body.rows).toEqual([]);
    for (const bad of ['from=yesterday', 'type=steal', 'days=-1', 'tenant=globex']) {
      const r = await get<ErrorBody>(`/api/t/acme/reports/movements?${bad}`, 'op.acme');
      expect(r.status, bad).toBe(400);
    }
    expect((await get('/api/t/acme/reports/nope', 'op.acme')).status).toBe(404);
  });

  it('exports CSV and XLSX of exactly the report, audited in every tenant with filters and row count', async () => {
    const csv = await fetch(`${s.url}/api/export/inventory-by-batch?tenants=acme,globex&format=csv`, {
      headers: { authorization: `Bearer ${tok.mgr}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toMatch(/filename="inventory-by-batch-acme\+globex-/);
    const parsed = Papa.parse<Record<string, string>>(await csv.text(), {
      header: true,
      skipEmptyLines: true,
    });
    expect(parsed.meta.fields?.[0]).toBe('Tenant');
    expect(parsed.meta.fields).not.toContain('Purchase price');
    expect(new Set(parsed.data.map((r) => r.Tenant))).toEqual(new Set(['acme', 'globex']));
    const report = await get('/api/reports/inventory-by-batch?tenants=acme,globex', 'mgr');
    expect(parsed.data).toHaveLength(report.body.rows.length);

    const xlsx = await fetch(`${s.url}/api/t/globex/export/valuation?format=xlsx&sku=${fx.globex?.sku}`, {
      headers: { authorization: `Bearer ${tok['fin.globex']}` },
    });
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toMatch(/spreadsheetml/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    const ws = wb.worksheets[0];
    if (!ws) throw new Error('no sheet');
    expect(ws.getRow(1).values).toEqual([
      undefined,
      'SKU',
      'Name',
      'UoM',
      'On hand',
      'Purchase price',
      'Value',
    ]);
    expect(ws.rowCount).toBe(2);
    expect(ws.getRow(2).getCell(1).value).toBe(fx.globex?.sku);
    expect(typeof ws.getRow(2).getCell(5).value).toBe('number');

    // Operators may not export; unknown formats are refused.
    expect(
      (await api(s.url, '/api/t/acme/export/inventory?format=csv', { token: tok['op.acme'] })).status,
    ).toBe(403);
    const pdf = await api<ErrorBody>(s.url, '/api/t/acme/export/inventory?format=pdf', { token: tok.mgr });
    expect(pdf.body.error.code).toBe('unsupported_format');

    for (const tenant of ['acme', 'globex']) {
      const audit = await api<AuditPage>(s.url, `/api/t/${tenant}/audit`, { token: tok.mgr });
      const entry = audit.body.entries.find(
        (e) => e.action === 'export' && e.entityId === 'inventory-by-batch',
      );
      expect(entry, tenant).toMatchObject({ entity: 'report', actorId: demoUserId('mgr') });
      const rows = report.body.rows.filter((r) => r.tenantId === tenant).length;
      expect(entry?.after).toMatchObject({ format: 'csv', rows, tenants: ['acme', 'globex'] });
    }
    const gAudit = await api<AuditPage>(s.url, '/api/t/globex/audit', { token: tok['fin.globex'] });
    expect(
      gAudit.body.entries.find((e) => e.action === 'export' && e.entityId === 'valuation')?.after,
    ).toMatchObject({
      format: 'xlsx',
      rows: 1,
      filters: { sku: fx.globex?.sku },
    });
    // initech's chain has no entry of these exports.
    const initech = await s.db
      .selectFrom('audit_log')
      .select('id')
      .where('tenant_id', '=', 'initech')
      .where('action', '=', 'export')
      .execute();
    expect(initech).toEqual([]);
  });

  it('a field the tenant hides from a role leaves every report and export of that role', async () => {
    const put = await api(s.url, '/api/t/acme/policy', {
      method: 'PUT',
      token: tok['admin.acme'],
      body: {
        overrides: { items: { purchasePrice: { finance: '-' } } },
        settings: { tenantColumn: 'required' },
        expectedVersion: 1,
        reason: 'prices only for the admin',
      },
    });
    expect(put.status).toBe(200);
    const fin = (await login(s.url, 'fin.acme')).accessToken;
    for (const report of OPEN) {
      const r = await api<ReportResult>(s.url, `/api/t/acme/reports/${report}`, { token: fin });
      expect(r.status, report).toBe(200);
      expect(r.body.tenantColumn, report).toBe(true);
      for (const k of PRICE_KEYS)
        expect(
          r.body.columns.map((c) => c.key),
          report,
        ).not.toContain(k);
    }
    expect((await api(s.url, '/api/t/acme/reports/valuation', { token: fin })).status).toBe(403);
    expect((await api(s.url, '/api/t/acme/export/valuation?format=xlsx', { token: fin })).status).toBe(403);
    const csv = await fetch(`${s.url}/api/t/acme/export/inventory?format=csv`, {
      headers: { authorization: `Bearer ${fin}` },
    });
    const header = (await csv.text()).split('\r\n')[0];
    expect(header).toBe('Tenant,SKU,Name,UoM,On hand');
    // In globex nothing changed: fin.globex still values its stock.
    expect((await get('/api/t/globex/reports/valuation', 'fin.globex')).status).toBe(200);
  });
});
