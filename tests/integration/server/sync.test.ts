import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceDoc, balanceId, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import type { ErrorBody, PullResponse, PushResponse } from '../../../shared/sync/protocol.js';
import { demoUserId, stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
const ITEMS = 12;

type Doc = Record<string, unknown>;

function movement(over: Partial<MovementDoc> = {}): MovementDoc {
  return {
    id: randomUUID(),
    tenantId: 'acme',
    itemId: stableUuid('acme/item/1'),
    type: 'transfer',
    quantity: 3,
    fromLocationId: 'A-02-01',
    toLocationId: 'A-05-09',
    batch: null,
    note: null,
    createdAt: '2026-01-02T03:04:05.000Z',
    createdBy: 'someone-else',
    deviceId: 'scanner-7',
    seq: 0,
    ...over,
  };
}

describe.each(backends)('sync pull and push (%s)', (backend) => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const pullAll = async (
    user: string,
    collection: string,
    checkpoint?: number,
  ): Promise<PullResponse<Doc>> => {
    const q = checkpoint === undefined ? '' : `&checkpoint=${checkpoint}`;
    const r = await api<PullResponse<Doc>>(s.url, `/api/t/acme/sync/${collection}/pull?limit=5000${q}`, {
      token: tokens[user],
    });
    expect(r.status).toBe(200);
    return r.body;
  };
  // Every change carries its audit entry, as the client sends it (I4).
  const push = async (
    user: string,
    collection: string,
    changes: { newDocumentState: Doc; assumedMasterState?: Doc | null }[],
    tenant = 'acme',
  ) =>
    api<PushResponse<Doc>>(s.url, `/api/t/${tenant}/sync/${collection}/push`, {
      token: tokens[user],
      body: { changes, audit: auditFor(demoUserId(user), collection, changes) },
    });
  const itemRow = (id: string) =>
    s.db
      .selectFrom('items')
      .selectAll()
      .where('tenant_id', '=', 'acme')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const tenantSeq = async () =>
    Number(
      (
        await s.db
          .selectFrom('tenant_seq')
          .select('last_seq')
          .where('tenant_id', '=', 'acme')
          .executeTakeFirstOrThrow()
      ).last_seq,
    );
  const itemDoc = async (user: string, id: string): Promise<Doc> => {
    const all = await pullAll(user, 'items');
    const d = all.documents.find((x) => x.id === id);
    if (!d) throw new Error(`item ${id} not pulled`);
    return d;
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: ITEMS } });
    for (const u of ['op.acme', 'fin.acme', 'mgr', 'admin.acme', 'aud.acme'])
      tokens[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('pages items by checkpoint, with total only on the first page', async () => {
    const p1 = await api<PullResponse<Doc>>(s.url, '/api/t/acme/sync/items/pull?limit=5', {
      token: tokens['op.acme'],
    });
    expect(p1.status).toBe(200);
    expect(p1.body.total).toBe(ITEMS);
    expect(p1.body.documents).toHaveLength(5);
    const seqs1 = p1.body.documents.map((d) => d.seq as number);
    expect(seqs1).toEqual([...seqs1].sort((a, b) => a - b));
    expect(p1.body.checkpoint).toEqual({ seq: seqs1[4] });

    const seen = [...p1.body.documents];
    let cp = p1.body.checkpoint;
    for (;;) {
      const p = await api<PullResponse<Doc>>(
        s.url,
        `/api/t/acme/sync/items/pull?limit=5&checkpoint=${cp?.seq}`,
        {
          token: tokens['op.acme'],
        },
      );
      expect(p.status).toBe(200);
      expect(p.body.total).toBeUndefined();
      if (p.body.documents.length === 0) {
        expect(p.body.checkpoint).toEqual(cp); // empty page keeps the incoming checkpoint
        break;
      }
      expect((p.body.documents[0]?.seq as number) > (cp?.seq ?? 0)).toBe(true);
      seen.push(...p.body.documents);
      cp = p.body.checkpoint;
    }
    expect(new Set(seen.map((d) => d.id)).size).toBe(ITEMS);
    for (const d of seen) {
      expect(d.tenantId).toBe('acme');
      ItemDoc.parse(d);
    }
  });

  it('returns checkpoint null for an empty first pull', async () => {
    const r = await api<PullResponse<Doc>>(s.url, '/api/t/acme/sync/items/pull?checkpoint=999999', {
      token: tokens['op.acme'],
    });
    expect(r.body).toEqual({ documents: [], checkpoint: { seq: 999999 } });
  });

  it('projects purchasePrice away for operator and manager, keeps it for finance and auditor', async () => {
    for (const u of ['op.acme', 'mgr']) {
      const r = await pullAll(u, 'items');
      expect(r.documents.length).toBe(ITEMS);
      for (const d of r.documents) expect(Object.keys(d)).not.toContain('purchasePrice');
    }
    for (const u of ['fin.acme', 'aud.acme']) {
      const r = await pullAll(u, 'items');
      for (const d of r.documents) expect(typeof d.purchasePrice).toBe('number');
    }
  });

  it('pulls movements and balances in the shared shapes', async () => {
    const m = await pullAll('op.acme', 'movements');
    expect(m.total).toBe(ITEMS);
    for (const d of m.documents) MovementDoc.parse(d);
    const b = await pullAll('op.acme', 'balances');
    for (const d of b.documents) {
      BalanceDoc.parse(d);
      expect(typeof d.quantity).toBe('number');
    }
  });

  it('rejects bad pull queries with 400', async () => {
    for (const q of ['limit=0', 'limit=abc', 'checkpoint=-1', 'limit=10&evil=1']) {
      const r = await api<ErrorBody>(s.url, `/api/t/acme/sync/items/pull?${q}`, { token: tokens['op.acme'] });
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
  });

  it('applies a pushed movement: seq assigned, balances derived, created_by is the authenticated user', async () => {
    const before = await tenantSeq();
    const balancesBefore = await pullAll('op.acme', 'balances');
    const fromId = balanceId(stableUuid('acme/item/1'), 'A-02-01', null);
    const fromBefore = balancesBefore.documents.find((d) => d.id === fromId);
    expect(fromBefore?.quantity).toBe(17); // seeded: 10 + (1*7 % 90) at A-02-01

    const m = movement({ createdBy: 'u-admin.acme' });
    const r = await push('op.acme', 'movements', [{ assumedMasterState: null, newDocumentState: m }]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    // The client learns the movement's sequence before it pulls it back (no double counting).
    expect(r.body.accepted).toEqual([{ id: m.id, seq: before + 1 }]);

    const pulled = await pullAll('op.acme', 'movements', before);
    expect(pulled.documents).toHaveLength(1);
    const got = pulled.documents[0] as MovementDoc;
    expect(got.id).toBe(m.id);
    expect(got.seq).toBe(before + 1);
    expect(got.createdBy).toBe(demoUserId('op.acme'));
    const row = await s.db
      .selectFrom('movements')
      .selectAll()
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(row.created_by).toBe(demoUserId('op.acme'));

    const bal = await pullAll('op.acme', 'balances', before);
    const byId = new Map(bal.documents.map((d) => [d.id, d]));
    expect(byId.get(fromId)).toMatchObject({ quantity: 14, seq: before + 1 });
    expect(byId.get(balanceId(m.itemId, 'A-05-09', null))).toMatchObject({
      quantity: 3,
      seq: before + 1,
      locationId: 'A-05-09',
    });
    expect(await tenantSeq()).toBe(before + 1);
  });

  it('applies the same movement only once when pushed twice', async () => {
    const m = movement({ fromLocationId: null, toLocationId: 'A-06-09', type: 'receipt', quantity: 5 });
    const r1 = await push('op.acme', 'movements', [{ newDocumentState: m }]);
    expect(r1.body).toMatchObject({ conflicts: [], rejections: [] });
    const seqAfterFirst = await tenantSeq();
    // Retry, e.g. after a lost response; also duplicated inside one push.
    const r2 = await push('op.acme', 'movements', [{ newDocumentState: m }, { newDocumentState: m }]);
    expect(r2.status).toBe(200);
    expect(r2.body).toMatchObject({ conflicts: [], rejections: [] });
    // A repeat is acknowledged with the sequence it got the first time.
    expect(r2.body.accepted).toEqual([
      { id: m.id, seq: seqAfterFirst },
      { id: m.id, seq: seqAfterFirst },
    ]);
    expect(await tenantSeq()).toBe(seqAfterFirst);
    const rows = await s.db.selectFrom('movements').select('id').where('id', '=', m.id).execute();
    expect(rows).toHaveLength(1);
    const bal = await s.db
      .selectFrom('balances')
      .select('quantity')
      .where('id', '=', balanceId(m.itemId, 'A-06-09', null))
      .executeTakeFirstOrThrow();
    expect(Number(bal.quantity)).toBe(5);
  });

  it('rejects a movement id reused with different content, answering with the master', async () => {
    const m = movement({ quantity: 2, toLocationId: 'A-07-09' });
    await push('op.acme', 'movements', [{ newDocumentState: m }]);
    const seq = await tenantSeq();
    const r = await push('op.acme', 'movements', [{ newDocumentState: { ...m, quantity: 200 } }]);
    expect(r.status).toBe(200);
    expect(r.body.rejections).toEqual([
      { id: m.id, code: 'immutable', reason: expect.any(String) as string },
    ]);
    expect(r.body.conflicts).toHaveLength(1);
    expect(r.body.conflicts[0]).toMatchObject({ id: m.id, quantity: 2, createdBy: demoUserId('op.acme') });
    expect(await tenantSeq()).toBe(seq);
  });

  it('refuses movements from roles that may not record them, and invalid or wrong-tenant documents', async () => {
    const seq = await tenantSeq();
    const fin = movement();
    const r = await push('fin.acme', 'movements', [{ newDocumentState: fin }]);
    expect(r.body.rejections).toEqual([
      { id: fin.id, code: 'forbidden', reason: expect.any(String) as string },
    ]);
    // No master exists: the conflict tells the client to drop its local copy.
    expect(r.body.conflicts).toEqual([expect.objectContaining({ id: fin.id, _deleted: true })]);

    const bad = movement({ quantity: -1 });
    const other = movement({ tenantId: 'globex' });
    const r2 = await push('op.acme', 'movements', [{ newDocumentState: bad }, { newDocumentState: other }]);
    expect(r2.status).toBe(200);
    expect(r2.body.rejections.map((x) => [x.id, x.code])).toEqual([
      [bad.id, 'invalid'],
      [other.id, 'wrong-tenant'],
    ]);
    expect(r2.body.conflicts).toHaveLength(2);
    expect(await tenantSeq()).toBe(seq);
    expect(
      await s.db.selectFrom('movements').select('id').where('id', 'in', [fin.id, bad.id, other.id]).execute(),
    ).toEqual([]);
  });

  it("rejects an operator's item change as forbidden, with the projected master as conflict", async () => {
    const id = stableUuid('acme/item/3');
    const before = await itemRow(id);
    const master = await itemDoc('op.acme', id);
    const r = await push('op.acme', 'items', [
      { assumedMasterState: master, newDocumentState: { ...master, name: 'hacked' } },
    ]);
    expect(r.status).toBe(200);
    expect(r.body.rejections).toEqual([{ id, code: 'forbidden', reason: expect.any(String) as string }]);
    expect(r.body.conflicts).toEqual([master]);
    expect(Object.keys(r.body.conflicts[0] ?? {})).not.toContain('purchasePrice');
    expect(await itemRow(id)).toEqual(before);
  });

  it('keeps the stored purchase price when a manager (who cannot see it) updates an item', async () => {
    const id = stableUuid('acme/item/4');
    const before = await itemRow(id);
    expect(before.purchase_price).not.toBeNull();
    const master = await itemDoc('mgr', id);
    expect(master).not.toHaveProperty('purchasePrice');
    const seq = await tenantSeq();
    const r = await push('mgr', 'items', [
      { assumedMasterState: master, newDocumentState: { ...master, name: 'Renamed widget' } },
    ]);
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    const after = await itemRow(id);
    expect(after.name).toBe('Renamed widget');
    expect(Number(after.purchase_price)).toBe(Number(before.purchase_price));
    expect(Number(after.seq)).toBe(seq + 1);
    expect(r.body.accepted).toEqual([{ id, seq: seq + 1 }]);

    // A manager may not set the price either.
    const m2 = await itemDoc('mgr', id);
    const r2 = await push('mgr', 'items', [
      { assumedMasterState: m2, newDocumentState: { ...m2, purchasePrice: 0 } },
    ]);
    expect(r2.body.rejections.map((x) => x.code)).toEqual(['forbidden']);
    expect(Number((await itemRow(id)).purchase_price)).toBe(Number(before.purchase_price));
  });

  it('lets finance change the purchase price but not the name', async () => {
    const id = stableUuid('acme/item/5');
    const master = await itemDoc('fin.acme', id);
    const ok = await push('fin.acme', 'items', [
      { assumedMasterState: master, newDocumentState: { ...master, purchasePrice: 42.5 } },
    ]);
    expect(ok.body).toMatchObject({ conflicts: [], rejections: [] });
    expect(Number((await itemRow(id)).purchase_price)).toBe(42.5);
    const m2 = await itemDoc('fin.acme', id);
    const no = await push('fin.acme', 'items', [
      { assumedMasterState: m2, newDocumentState: { ...m2, name: 'nope' } },
    ]);
    expect(no.body.rejections.map((x) => x.code)).toEqual(['forbidden']);
  });

  it('answers a stale assumedMasterState with a conflict and does not apply it', async () => {
    const id = stableUuid('acme/item/6');
    const stale = await itemDoc('admin.acme', id);
    const r1 = await push('admin.acme', 'items', [
      { assumedMasterState: stale, newDocumentState: { ...stale, name: 'First' } },
    ]);
    expect(r1.body).toMatchObject({ conflicts: [], rejections: [] });
    const current = await itemDoc('admin.acme', id);
    const r2 = await push('admin.acme', 'items', [
      { assumedMasterState: stale, newDocumentState: { ...stale, name: 'Second' } },
    ]);
    expect(r2.body.rejections).toEqual([]);
    expect(r2.body.conflicts).toEqual([current]);
    expect((await itemRow(id)).name).toBe('First');
  });

  it('continues from its own earlier edit whose answer was lost, and still conflicts with anyone else', async () => {
    const id = stableUuid('acme/item/7');
    const base = await itemDoc('admin.acme', id);
    const admin = demoUserId('admin.acme');
    const first = { assumedMasterState: base, newDocumentState: { ...base, name: 'Mine, first' } };
    const [e1] = auditFor(admin, 'items', [first]);
    const applied = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/items/push', {
      token: tokens['admin.acme'],
      body: { changes: [first], audit: [e1] },
    });
    expect(applied.body).toMatchObject({ conflicts: [], rejections: [] });
    // The answer never arrived: the PC still assumes `base`, edits again and pushes both entries.
    const [e2] = auditFor(admin, 'items', [first]);
    const again = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/items/push', {
      token: tokens['admin.acme'],
      body: {
        changes: [{ assumedMasterState: base, newDocumentState: { ...base, name: 'Mine, second' } }],
        audit: [e1, e2],
      },
    });
    expect(again.body).toMatchObject({ conflicts: [], rejections: [] });
    expect((await itemRow(id)).name).toBe('Mine, second');
    const entries = await s.db
      .selectFrom('audit_log')
      .select(['id', 'before', 'after', 'reason'])
      .where('entity_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(entries.map((e) => e.id)).toEqual([e1!.id, e2!.id]);
    expect((entries[1]!.before as Doc)['name']).toBe('Mine, first');
    // e1 is in the chain already: e2 does not claim to collapse it as well.
    expect(entries[1]!.reason ?? '').not.toContain(e1!.id);
    // That answer is lost too: the retry changes nothing and is answered with the stored version,
    // so the PC adopts it instead of holding its change as pending for ever.
    const retry = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/items/push', {
      token: tokens['admin.acme'],
      body: {
        changes: [{ assumedMasterState: base, newDocumentState: { ...base, name: 'Mine, second' } }],
        audit: [e1, e2],
      },
    });
    expect(retry.body.rejections).toEqual([]);
    expect(retry.body.conflicts).toEqual([await itemDoc('admin.acme', id)]);
    expect(
      await s.db.selectFrom('audit_log').select('id').where('entity_id', '=', id).execute(),
    ).toHaveLength(2);

    // Someone else edits; the same PC's next push from an old base is a real conflict again.
    const current = await itemDoc('mgr', id);
    const theirs = await push('mgr', 'items', [
      { assumedMasterState: current, newDocumentState: { ...current, name: 'Theirs' } },
    ]);
    expect(theirs.body).toMatchObject({ conflicts: [], rejections: [] });
    const [e3] = auditFor(admin, 'items', [first]);
    const stale = await api<PushResponse<Doc>>(s.url, '/api/t/acme/sync/items/push', {
      token: tokens['admin.acme'],
      body: {
        changes: [{ assumedMasterState: current, newDocumentState: { ...current, name: 'Mine, third' } }],
        audit: [e2, e3],
      },
    });
    expect(stale.body.conflicts.map((c) => c['name'])).toEqual(['Theirs']);
    expect((await itemRow(id)).name).toBe('Theirs');
  });

  it('creates a new item for an admin and refuses balance pushes', async () => {
    const id = randomUUID();
    const doc = {
      id,
      tenantId: 'acme',
      sku: 'ACME-NEW-1',
      name: 'New thing',
      barcode: null,
      uom: 'pcs',
      purchasePrice: 9.99,
      updatedAt: new Date().toISOString(),
      seq: 0,
      _deleted: false,
    };
    const r = await push('admin.acme', 'items', [{ assumedMasterState: null, newDocumentState: doc }]);
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    expect(r.body.accepted?.map((a) => a.id)).toEqual([id]);
    expect(await itemDoc('fin.acme', id)).toMatchObject({ sku: 'ACME-NEW-1', purchasePrice: 9.99 });

    const bal = (await pullAll('admin.acme', 'balances')).documents[0] as Doc;
    const seq = await tenantSeq();
    const rb = await push('admin.acme', 'balances', [
      { assumedMasterState: bal, newDocumentState: { ...bal, quantity: 1e6 } },
    ]);
    expect(rb.status).toBe(200);
    expect(rb.body.rejections.map((x) => x.code)).toEqual(['forbidden']);
    expect(rb.body.conflicts).toEqual([bal]);
    expect(await tenantSeq()).toBe(seq);
  });
});
