import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportResult } from '../../../shared/api/reports.js';
import { benchItem } from '../../bench/data.js';
import { loadScaleTenant, type ScaleTenant } from '../../bench/scale-data.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
const N = 400;
/** What item `i` of the scale tenant holds in all (its two bins; receiving and staging are empty). */
const onHandOf = (i: number) => 20 + ((i * 7) % 80) - 2;

describe.each(backends)('reports over the scale tenant (%s)', (backend) => {
  let s: TestServer;
  let big: ScaleTenant;
  let token: string;
  const now = new Date();
  const get = async (path: string, as = token) => {
    const r = await api<ReportResult>(s.url, path, { token: as });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 0 } });
    big = await loadScaleTenant(s.db, 'acme', N, now);
    token = (await login(s.url, 'mgr')).accessToken;
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('the scale migration added its indexes', async () => {
    const r = await sql<{ indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE indexname IN ('balances_item', 'movements_created')`.execute(
      s.db,
    );
    expect(r.rows.map((x) => x.indexname).sort()).toEqual(['balances_item', 'movements_created']);
  });

  it('inventory on hand sums each item over all its balances, in SKU order', async () => {
    const r = await get('/api/t/acme/reports/inventory');
    expect(r.rows).toHaveLength(N);
    expect(r.rows.map((x) => x['sku'])).toEqual(
      Array.from({ length: N }, (_, k) => benchItem('acme', k + 1).sku).sort(),
    );
    for (const i of [1, 4, 100, 217, N]) {
      const row = r.rows.find((x) => x['sku'] === benchItem('acme', i).sku);
      expect(row?.['onHand'], `item ${i}`).toBe(onHandOf(i));
    }
    // The manager reads no purchase price: the column is not there.
    expect(r.columns.map((c) => c.key)).not.toContain('purchasePrice');
  });

  it('inventory filtered by SKU answers that item alone', async () => {
    const r = await get(`/api/t/acme/reports/inventory?sku=${big.sampleSku}`);
    expect(r.rows).toEqual([expect.objectContaining({ sku: big.sampleSku, onHand: onHandOf(N / 2) })]);
  });

  it('movement history is the newest movements of the range first, all of them', async () => {
    const r = await get('/api/t/acme/reports/movements');
    const times = r.rows.map((x) => String(x['createdAt']));
    expect(times).toEqual([...times].sort().reverse());
    const from = new Date(Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`) - 29 * 86_400_000);
    const expected = await s.db
      .selectFrom('movements')
      .select((e) => e.fn.countAll<string | number>().as('n'))
      .where('tenant_id', '=', 'acme')
      .where('created_at', '>=', from)
      .executeTakeFirstOrThrow();
    expect(r.rows).toHaveLength(Number(expected.n));
    expect(times.every((t) => t >= from.toISOString())).toBe(true);
  });

  it('expiring batches and stock by location agree with the seeded ledger', async () => {
    const expiring = await get('/api/t/acme/reports/inventory-by-expiry?days=30');
    expect(expiring.rows).toHaveLength(big.expiring30);
    const byLocation = await get('/api/t/acme/reports/stock-by-location');
    const total = byLocation.rows.reduce((a, x) => a + Number(x['onHand']), 0);
    expect(total).toBe(Array.from({ length: N }, (_, k) => onHandOf(k + 1)).reduce((a, b) => a + b, 0));
  });

  it('another tenant’s operator gets none of it', async () => {
    const op = (await login(s.url, 'op.globex')).accessToken;
    const r = await api(s.url, '/api/t/acme/reports/inventory', { token: op });
    expect(r.status).toBe(403);
    const own = await get('/api/t/globex/reports/movements', op);
    expect(own.rows).toEqual([]);
  });
});
