import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceId, type MovementDoc } from '../../../shared/domain/schemas.js';
import type { PullResponse, PushResponse } from '../../../shared/sync/protocol.js';
import { demoUserId } from '../../../server/db/seed.js';
import { MOVEMENT_HORIZON_DAYS } from '../../../server/sync/service.js';
import { benchItem, location } from '../../bench/data.js';
import { loadScaleTenant, type ScaleTenant } from '../../bench/scale-data.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
/** 200 items: 1,000 movements over 90 days, 100 of them in the last week. */
const N = 200;
const DAY = 86_400_000;

type Doc = Record<string, unknown>;

/**
 * Issue #5: a PC pulls the movements of the last few days and those of open orders and notices,
 * never the whole ledger, on the first sync and on every later pull; the checkpoint moves past the
 * movements left out.
 */
describe.each(backends)('movement horizon of the pull (%s)', (backend) => {
  let s: TestServer;
  let big: ScaleTenant;
  let token: string;
  const now = new Date();

  const pull = async (checkpoint: number | undefined, limit: number): Promise<PullResponse<Doc>> => {
    const q = checkpoint === undefined ? '' : `&checkpoint=${checkpoint}`;
    const r = await api<PullResponse<Doc>>(s.url, `/api/t/acme/sync/movements/pull?limit=${limit}${q}`, {
      token,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  /** Every page from `checkpoint` on, as a client pages: until a page comes back empty. */
  const pullAll = async (checkpoint: number | undefined, limit: number) => {
    const docs: Doc[] = [];
    const checkpoints: number[] = [];
    let cp = checkpoint;
    let first: PullResponse<Doc> | null = null;
    for (let page = 0; page < 1000; page++) {
      const r = await pull(cp, limit);
      first ??= r;
      docs.push(...r.documents);
      if (r.checkpoint) checkpoints.push(r.checkpoint.seq);
      if (r.documents.length === 0) break;
      cp = r.checkpoint?.seq;
    }
    return { docs, checkpoints, total: first?.total, last: cp };
  };
  const inHorizon = async () =>
    (
      await s.db
        .selectFrom('movements')
        .select(['id', 'seq'])
        .where('tenant_id', '=', 'acme')
        .where('received_at', '>=', new Date(Date.now() - MOVEMENT_HORIZON_DAYS * DAY))
        .execute()
    ).map((r) => r.id);
  const maxSeq = async () =>
    Number(
      (
        await s.db
          .selectFrom('movements')
          .select((eb) => eb.fn.max('seq').as('m'))
          .where('tenant_id', '=', 'acme')
          .executeTakeFirstOrThrow()
      ).m,
    );
  /** An old movement (received 60 days ago) inserted as owner, optionally for an order/notice. */
  const oldMovement = async (refId: string | null) => {
    const id = randomUUID();
    const at = new Date(now.getTime() - 60 * DAY);
    const seq = await s.db.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable('tenant_seq')
        .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
        .where('tenant_id', '=', 'acme')
        .returning('last_seq')
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('movements')
        .values({
          tenant_id: 'acme',
          id,
          item_id: big.order.itemId,
          type: 'pick',
          quantity: 1,
          from_location_id: 'A-01-01',
          to_location_id: 'STG-01',
          batch: null,
          note: null,
          created_at: at,
          created_by: demoUserId('op.acme'),
          device_id: 'old-pc',
          received_at: at,
          seq: r.last_seq,
          ref_id: refId,
        })
        .execute();
      return Number(r.last_seq);
    });
    return { id, seq };
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 0 } });
    big = await loadScaleTenant(s.db, 'acme', N, now);
    token = (await login(s.url, 'mgr')).accessToken;
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('the first sync pulls only the last days, paged, and its checkpoint ends at the newest movement', async () => {
    const expected = await inHorizon();
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(big.movements / 5);
    // Small pages: most of the ledger's sequence range holds no movement within the horizon.
    const r = await pullAll(undefined, 7);
    expect(r.docs.map((d) => d['id']).sort()).toEqual([...expected].sort());
    expect(r.total).toBe(expected.length);
    for (const d of r.docs)
      expect(Date.parse(String(d['createdAt']))).toBeGreaterThan(
        now.getTime() - (MOVEMENT_HORIZON_DAYS + 1) * DAY,
      );
    // Checkpoints only grow, and the last one is past every skipped row: nothing is pulled twice.
    expect(r.checkpoints).toEqual([...r.checkpoints].sort((a, b) => a - b));
    expect(r.last).toBe(await maxSeq());
    expect(new Set(r.docs.map((d) => d['id'])).size).toBe(r.docs.length);
  });

  it('a page that would hold only old movements still advances the checkpoint', async () => {
    // Item 7's movements (days 7+) start right after item 6's (day 6): the rows between two
    // movements within the horizon are all outside it.
    const seqOf = (i: number, k: number) => N + (i - 1) * 5 + k + 1;
    const r = await pull(seqOf(6, 4), 3);
    // The next movement within the horizon is item 90's (day 0); everything between is left out.
    expect(r.documents.map((d) => d['itemId'])).toEqual([
      benchItem('acme', 90).id,
      benchItem('acme', 90).id,
      benchItem('acme', 90).id,
    ]);
    expect(r.checkpoint?.seq).toBe(seqOf(90, 2));
    // From the last movement of the horizon on, one empty answer carries the checkpoint to the top.
    const top = await pull(seqOf(186, 4), 50);
    expect(top.documents).toEqual([]);
    expect(top.checkpoint?.seq).toBe(await maxSeq());
  });

  it('pulls old movements of open orders and notices, not those of finished ones', async () => {
    const before = await maxSeq();
    const open = await oldMovement(big.order.id);
    const none = await oldMovement(null);
    // A shipped order.
    const shippedId = randomUUID();
    await s.db
      .insertInto('orders')
      .values({
        tenant_id: 'acme',
        id: shippedId,
        number: 'SO-OLD-1',
        customer_name: null,
        customer_phone: null,
        customer_email: null,
        ship_to: null,
        status: 'shipped',
        lines: JSON.stringify([{ lineId: '1', itemId: big.order.itemId, qty: 1 }]),
        updated_at: now,
        seq: 0,
      })
      .execute();
    const finished = await oldMovement(shippedId);
    const r = await pullAll(before, 1000);
    expect(r.docs.map((d) => d['id'])).toEqual([open.id]);
    expect(r.last).toBe(finished.seq);
    expect(none.seq).toBeLessThan(finished.seq);
  });

  it('an incremental pull brings a movement just pushed', async () => {
    const before = await maxSeq();
    const m: MovementDoc = {
      id: randomUUID(),
      tenantId: 'acme',
      itemId: benchItem('acme', 3).id,
      type: 'receipt',
      quantity: 1,
      fromLocationId: null,
      toLocationId: 'A-01-01',
      batch: null,
      note: null,
      createdAt: new Date().toISOString(),
      createdBy: demoUserId('mgr'),
      deviceId: 'pc-1',
      seq: 0,
    };
    const changes = [{ newDocumentState: m as Doc }];
    const p = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/movements/push', {
      token,
      body: { changes, audit: auditFor(demoUserId('mgr'), 'movements', changes) },
    });
    expect(p.status).toBe(200);
    expect(p.body.rejections).toEqual([]);
    const r = await pull(before, 1000);
    expect(r.documents.map((d) => d['id'])).toEqual([m.id]);
    expect(r.checkpoint?.seq).toBeGreaterThan(before);
  });
});

/**
 * Issue #5: zero balances (stock that moved on) are left out of a client's first sync — only those
 * that were zero and unchanged since its first pull began (`base`); a balance that reaches zero
 * later, during the first sync or after it, reaches the client.
 */
describe.each(backends)('zero balances in the pull (%s)', (backend) => {
  let s: TestServer;
  let token: string;
  const now = new Date();
  type Page = PullResponse<Doc> & { checkpoint: { seq: number; base?: number } | null };

  const pull = async (checkpoint: { seq: number; base?: number } | undefined, limit: number) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (checkpoint) q.set('checkpoint', String(checkpoint.seq));
    if (checkpoint?.base !== undefined) q.set('base', String(checkpoint.base));
    const r = await api<Page>(s.url, `/api/t/acme/sync/balances/pull?${q.toString()}`, { token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const pullRest = async (from: { seq: number; base?: number }, limit: number) => {
    const docs: Doc[] = [];
    let cp = from;
    for (let page = 0; page < 1000; page++) {
      const r = await pull(cp, limit);
      docs.push(...r.documents);
      if (r.checkpoint) cp = r.checkpoint;
      if (r.documents.length === 0) break;
    }
    return { docs, checkpoint: cp };
  };
  const stored = async () =>
    s.db.selectFrom('balances').select(['id', 'quantity', 'seq']).where('tenant_id', '=', 'acme').execute();
  /** Move everything item `i` holds in its first bin to its second: the first bin drops to zero. */
  const emptyFirstBin = async (i: number, quantity: number) => {
    const m: MovementDoc = {
      id: randomUUID(),
      tenantId: 'acme',
      itemId: benchItem('acme', i).id,
      type: 'transfer',
      quantity,
      fromLocationId: location(i),
      toLocationId: location(i + 37),
      batch: null,
      note: null,
      createdAt: new Date().toISOString(),
      createdBy: demoUserId('mgr'),
      deviceId: 'pc-2',
      seq: 0,
    };
    const changes = [{ newDocumentState: m as Doc }];
    const p = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/movements/push', {
      token,
      body: { changes, audit: auditFor(demoUserId('mgr'), 'movements', changes) },
    });
    expect(p.status).toBe(200);
    expect(p.body.rejections).toEqual([]);
    return balanceId(benchItem('acme', i).id, location(i), null);
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 0 } });
    await loadScaleTenant(s.db, 'acme', N, now);
    token = (await login(s.url, 'mgr')).accessToken;
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  it('a first sync leaves out the zero balances, pages past them and fixes its base', async () => {
    const all = await stored();
    const nonZero = all.filter((b) => Number(b.quantity) !== 0);
    const top = Math.max(...all.map((b) => Number(b.seq)));
    expect(nonZero.length).toBeLessThan(all.length);
    const first = await pull(undefined, 9);
    expect(first.total).toBe(nonZero.length);
    expect(first.checkpoint?.base).toBe(top);
    const rest = await pullRest(first.checkpoint ?? { seq: 0 }, 9);
    const docs = [...first.documents, ...rest.docs];
    expect(docs.map((d) => d['id']).sort()).toEqual(nonZero.map((b) => b.id).sort());
    expect(docs.every((d) => d['quantity'] !== 0)).toBe(true);
    expect(rest.checkpoint).toEqual({ seq: top, base: top });
  });

  it('a balance the client already holds that drops to zero during its first sync reaches it', async () => {
    const first = await pull(undefined, 9);
    // A balance of this first page: the client holds it now.
    const held = first.documents.find((d) => String(d['locationId']).startsWith('A-') && d['batch'] === null);
    expect(held).toBeDefined();
    const i = Number(
      String(
        (
          await s.db
            .selectFrom('items')
            .select('sku')
            .where('id', '=', String(held?.['itemId']))
            .executeTakeFirstOrThrow()
        ).sku,
      ).replace(/\D/g, ''),
    );
    expect(benchItem('acme', i).id).toBe(held?.['itemId']);
    const id = await emptyFirstBin(i, Number(held?.['quantity']));
    expect(id).toBe(held?.['id']);
    const rest = await pullRest(first.checkpoint ?? { seq: 0 }, 9);
    const zero = rest.docs.filter((d) => d['quantity'] === 0);
    // The emptied bin, at zero; no zero balance the client never held.
    expect(zero.map((d) => d['id'])).toEqual([id]);
  });

  it('after the first sync, a balance that drops to zero reaches the client (incremental pull)', async () => {
    const first = await pull(undefined, 1000);
    const synced = await pullRest(first.checkpoint ?? { seq: 0 }, 1000);
    const byId = new Map([...first.documents, ...synced.docs].map((d) => [String(d['id']), d]));
    const i = 5;
    const before = byId.get(balanceId(benchItem('acme', i).id, location(i), null));
    expect(before?.['quantity']).toBeGreaterThan(0);
    const id = await emptyFirstBin(i, Number(before?.['quantity']));
    const next = await pullRest(synced.checkpoint, 1000);
    expect(next.docs.find((d) => d['id'] === id)?.['quantity']).toBe(0);
    expect(next.checkpoint.base).toBe(first.checkpoint?.base);
  });

  it('a PC that holds balances and lost its checkpoint pulls again under its own base: a balance that dropped to zero meanwhile reaches it', async () => {
    // Its first sync, then the checkpoint is lost (RxDB writes none once cancelled; seed 97060704).
    const first = await pull(undefined, 1000);
    const synced = await pullRest(first.checkpoint ?? { seq: 0 }, 1000);
    const base = first.checkpoint?.base ?? -1;
    const byId = new Map([...first.documents, ...synced.docs].map((d) => [String(d['id']), d]));
    const i = 11;
    const before = byId.get(balanceId(benchItem('acme', i).id, location(i), null));
    expect(before?.['quantity']).toBeGreaterThan(0);
    const id = await emptyFirstBin(i, Number(before?.['quantity']));

    // From no checkpoint, with its base: the emptied bin comes, at zero, and the base stays.
    const q = new URLSearchParams({ limit: '1000', base: String(base) });
    const r = await api<Page>(s.url, `/api/t/acme/sync/balances/pull?${q.toString()}`, { token });
    expect(r.status).toBe(200);
    const restart = [...r.body.documents, ...(await pullRest(r.body.checkpoint ?? { seq: 0 }, 1000)).docs];
    expect(r.body.checkpoint?.base).toBe(base);
    expect(restart.find((d) => d['id'] === id)?.['quantity']).toBe(0);
    // Only zero balances that changed after its base: none it could not hold.
    const zeros = restart.filter((d) => d['quantity'] === 0);
    const rows = new Map((await stored()).map((b) => [b.id, Number(b.seq)]));
    expect(zeros.length).toBeGreaterThan(0);
    expect(zeros.every((d) => (rows.get(String(d['id'])) ?? 0) > base)).toBe(true);

    // Without its base (a PC that holds nothing), the new base leaves the emptied bin out.
    const fresh = await pull(undefined, 1000);
    const freshDocs = [...fresh.documents, ...(await pullRest(fresh.checkpoint ?? { seq: 0 }, 1000)).docs];
    expect(fresh.checkpoint?.base).toBeGreaterThan(base);
    expect(freshDocs.some((d) => d['id'] === id)).toBe(false);
  });
});
