import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientAuditEntry } from '../../../shared/audit/entry.js';
import type { OrderDoc, ReceiptDoc } from '../../../shared/domain/floor.js';
import { mergeFloorDoc } from '../../../shared/domain/merge.js';
import type { PullResponse, PushResponse } from '../../../shared/sync/protocol.js';
import { demoUserId, stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, startTestServer } from '../../helpers/server.js';

/*
 * Issue #5: two offline PCs edit one order (or inbound notice) from the same base; the second push
 * arrives after the first was applied. Different fields and different lines merge on the server;
 * the same field keeps the server value (the client resolves and re-pushes); a cancellation is
 * never undone. Every applied change has one audit entry with before/after; the chain verifies.
 */

const backends = await integrationBackends();
type Doc = Record<string, unknown>;
const ITEM1 = stableUuid('acme/item/1');
const ITEM2 = stableUuid('acme/item/2');
const ITEM3 = stableUuid('acme/item/3');
const ADDRESS_B = { line1: '9 Canal St', line2: 'Dock 4', city: 'Delft', postalCode: '2611', country: 'NL' };
const ADDRESS_C = { line1: '3 Rapenburg', line2: null, city: 'Leiden', postalCode: '2311', country: 'NL' };

function order(over: Partial<OrderDoc> = {}): OrderDoc {
  return {
    id: randomUUID(),
    tenantId: 'acme',
    number: `SO-M-${Math.floor(Math.random() * 1e9)}`,
    customerName: 'Kim Retail',
    customerPhone: '+31 10 555 0199',
    customerEmail: 'kim@example.com',
    shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
    status: 'open',
    lines: [
      { lineId: '1', itemId: ITEM1, qty: 2 },
      { lineId: '2', itemId: ITEM2, qty: 5 },
    ],
    updatedAt: new Date().toISOString(),
    seq: 0,
    ...over,
  };
}

describe.each(backends)('concurrent edits of orders and inbound notices merge (%s)', (backend) => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const pullOne = async (user: string, collection: string, id: string): Promise<Doc> => {
    const r = await api<PullResponse<Doc>>(s.url, `/api/t/acme/sync/${collection}/pull?limit=5000`, {
      token: tokens[user],
    });
    expect(r.status).toBe(200);
    const d = r.body.documents.find((x) => x['id'] === id);
    if (!d) throw new Error(`${id} not pulled`);
    return d;
  };
  const push = (
    user: string,
    collection: string,
    newDocumentState: Doc,
    assumedMasterState: Doc | null,
    over: Partial<ClientAuditEntry> = {},
  ) => {
    const changes = [{ newDocumentState, assumedMasterState }];
    return api<PushResponse<Doc>>(s.url, `/api/t/acme/sync/${collection}/push`, {
      token: tokens[user],
      body: { changes, audit: auditFor(demoUserId(user), collection, changes, over) },
    });
  };
  const audits = (id: string) =>
    s.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', 'acme')
      .where('entity_id', '=', id)
      .orderBy('seq')
      .execute();
  const row = (id: string) =>
    s.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
  /** A new order, created by mgr; returns what mgr and admin.acme each pulled as their base. */
  const created = async (over: Partial<OrderDoc> = {}) => {
    const o = order(over);
    const r = await push('mgr', 'orders', o, null, { action: 'create' });
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    return {
      o,
      baseA: await pullOne('admin.acme', 'orders', o.id),
      baseB: await pullOne('mgr', 'orders', o.id),
    };
  };
  const edited = (d: Doc, over: Doc) => ({ ...d, ...over, updatedAt: new Date().toISOString() });

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 4 } });
    for (const u of ['mgr', 'admin.acme', 'op.acme']) tokens[u] = (await login(s.url, u)).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('A edits the ship-to address while B adds a line: both land, B audited with before/after', async () => {
    const { o, baseA, baseB } = await created();
    const a = await push('admin.acme', 'orders', edited(baseA, { shipTo: ADDRESS_B }), baseA, {
      reason: 'customer moved',
    });
    expect(a.body).toMatchObject({ conflicts: [], rejections: [] });
    const lines = [...o.lines, { lineId: '3', itemId: ITEM3, qty: 1 }];
    const b = await push('mgr', 'orders', edited(baseB, { lines }), baseB, { reason: 'one more carton' });
    expect(b.body).toMatchObject({ conflicts: [], rejections: [] });

    const stored = await row(o.id);
    expect(json(stored.ship_to)).toEqual(ADDRESS_B);
    expect(json(stored.lines)).toEqual(lines);
    // Both clients converge on the merged document by pulling.
    for (const u of ['mgr', 'admin.acme']) {
      const d = await pullOne(u, 'orders', o.id);
      expect(d).toMatchObject({ shipTo: ADDRESS_B, lines });
    }
    const entries = await audits(o.id);
    expect(entries.map((e) => e.action)).toEqual(['create', 'update', 'update']);
    const merged = entries[2]!;
    expect(merged.actor_id).toBe(demoUserId('mgr'));
    expect(merged.reason).toBe('one more carton [merged with a concurrent change of shipTo]');
    // before = what A left on the server, after = the merged document.
    expect(json(merged.before)).toMatchObject({ shipTo: ADDRESS_B, lines: o.lines });
    expect(json(merged.after)).toMatchObject({ shipTo: ADDRESS_B, lines });
  });

  it('two edits pushed one after the other before a pull are not a concurrent change: no merge note', async () => {
    // The PC's assumed master after its first push is the document it sent (its own updatedAt and
    // seq); the server stored its own updatedAt and seq. Those differ, the content does not.
    const { o, baseB } = await created();
    const first = edited(baseB, { shipTo: ADDRESS_B });
    const a = await push('mgr', 'orders', first, baseB, { reason: 'customer moved' });
    expect(a.body).toMatchObject({ conflicts: [], rejections: [] });
    const lines = [...o.lines, { lineId: 'c3', itemId: ITEM3, qty: 1 }];
    const b = await push('mgr', 'orders', edited(first, { lines }), first, { reason: 'one more carton' });
    expect(b.body).toMatchObject({ conflicts: [], rejections: [] });
    const entries = await audits(o.id);
    expect(entries.map((e) => [e.action, e.reason])).toEqual([
      ['create', null],
      ['update', 'customer moved'],
      ['update', 'one more carton'],
    ]);
    expect(json((await row(o.id)).lines)).toEqual(lines);
  });

  it('a push that changes nothing is answered with the stored version, so the PC adopts it and nothing stays pending', async () => {
    const { o, baseB } = await created();
    const first = edited(baseB, { shipTo: ADDRESS_B });
    expect((await push('mgr', 'orders', first, baseB)).body).toMatchObject({ conflicts: [], rejections: [] });
    // The same content again (a retry, the PC not having pulled yet): nothing applied, the master back.
    const again = await push('mgr', 'orders', first, first);
    expect(again.body.rejections).toEqual([]);
    expect(again.body.conflicts).toHaveLength(1);
    expect(again.body.conflicts[0]).toMatchObject({ id: o.id, shipTo: ADDRESS_B });
    expect((await audits(o.id)).map((e) => e.action)).toEqual(['create', 'update']);
  });

  it('A changes line 1 while B changes line 2: both quantities land', async () => {
    const { o, baseA, baseB } = await created();
    const linesA = [{ ...o.lines[0]!, qty: 4 }, o.lines[1]!];
    const linesB = [o.lines[0]!, { ...o.lines[1]!, qty: 9 }];
    expect(
      (await push('admin.acme', 'orders', edited(baseA, { lines: linesA }), baseA)).body.rejections,
    ).toEqual([]);
    const b = await push('mgr', 'orders', edited(baseB, { lines: linesB }), baseB);
    expect(b.body).toMatchObject({ conflicts: [], rejections: [] });
    expect(json((await row(o.id)).lines)).toEqual([
      { lineId: '1', itemId: ITEM1, qty: 4 },
      { lineId: '2', itemId: ITEM2, qty: 9 },
    ]);
    expect((await audits(o.id)).map((e) => e.action)).toEqual(['create', 'update', 'update']);
  });

  it('both change the ship-to address: the server keeps its value; the client merges the rest and pushes again', async () => {
    const { o, baseA, baseB } = await created();
    expect(
      (await push('admin.acme', 'orders', edited(baseA, { shipTo: ADDRESS_C }), baseA)).body.rejections,
    ).toEqual([]);
    const mine = edited(baseB, { shipTo: ADDRESS_B, customerEmail: 'orders@kim.example' });
    const b = await push('mgr', 'orders', mine, baseB);
    // Answered as a conflict (RxDB's conflict handler resolves it), nothing changed meanwhile.
    expect(b.body.rejections).toEqual([]);
    expect(b.body.conflicts).toHaveLength(1);
    const master = b.body.conflicts[0]!;
    expect(master).toMatchObject({ id: o.id, shipTo: ADDRESS_C, customerEmail: o.customerEmail });
    expect((await audits(o.id)).map((e) => e.action)).toEqual(['create', 'update']);
    // The client's conflict handler (same merge): server's address, its own e-mail change.
    const r = mergeFloorDoc('orders', baseB, mine, master);
    if (!r.ok) throw new Error(r.reason);
    expect(r.conflicts.map((c) => c.path)).toEqual(['shipTo']);
    const again = await push('mgr', 'orders', r.merged, master);
    expect(again.body).toMatchObject({ conflicts: [], rejections: [] });
    const stored = await row(o.id);
    expect(json(stored.ship_to)).toEqual(ADDRESS_C);
    expect(stored.customer_email).toBe('orders@kim.example');
    const last = (await audits(o.id)).at(-1)!;
    expect(json(last.before)).toMatchObject({ customerEmail: o.customerEmail, shipTo: ADDRESS_C });
    expect(json(last.after)).toMatchObject({ customerEmail: 'orders@kim.example', shipTo: ADDRESS_C });
  });

  it('an edit of an order cancelled meanwhile is refused with the reason, and nothing is undone', async () => {
    const { o, baseA, baseB } = await created();
    const cancel = await push('admin.acme', 'orders', edited(baseA, { status: 'cancelled' }), baseA, {
      reason: 'customer withdrew',
      confirmation: { typed: o.number, reason: 'customer withdrew' },
    });
    expect(cancel.body).toMatchObject({ conflicts: [], rejections: [] });
    const before = await audits(o.id);
    for (const change of [{ shipTo: ADDRESS_B }, { status: 'picking' }, { lines: [o.lines[0]] }]) {
      const b = await push('mgr', 'orders', edited(baseB, change), baseB);
      expect(b.body.rejections).toEqual([
        {
          id: o.id,
          code: 'conflict',
          reason: `the order ${o.number} is cancelled; this change was not applied`,
        },
      ]);
      expect(b.body.conflicts[0]).toMatchObject({ id: o.id, status: 'cancelled' });
    }
    const stored = await row(o.id);
    expect(stored.status).toBe('cancelled');
    expect(json(stored.ship_to)).toEqual(o.shipTo);
    expect(await audits(o.id)).toHaveLength(before.length);
    // Not concurrent either: a cancelled order takes no edit.
    const now = await pullOne('mgr', 'orders', o.id);
    const late = await push('mgr', 'orders', edited(now, { shipTo: ADDRESS_B }), now);
    expect(late.body.rejections).toEqual([
      { id: o.id, code: 'invalid', reason: 'a cancelled order cannot be changed' },
    ]);
  });

  it('a line added to an order that started picking meanwhile is refused: the lines of a picking order are fixed', async () => {
    const { o, baseA, baseB } = await created();
    expect(
      (await push('admin.acme', 'orders', edited(baseA, { status: 'picking' }), baseA)).body.rejections,
    ).toEqual([]);
    const lines = [...o.lines, { lineId: '3', itemId: ITEM3, qty: 1 }];
    const b = await push('mgr', 'orders', edited(baseB, { lines }), baseB);
    expect(b.body.rejections).toEqual([
      { id: o.id, code: 'invalid', reason: 'the lines of a picking order are fixed' },
    ]);
    expect(json((await row(o.id)).lines)).toEqual(o.lines);
  });

  it("an operator's stale status change merges with a manager's customer change it cannot see (I3)", async () => {
    const { o, baseB } = await created();
    const seen = await pullOne('op.acme', 'orders', o.id);
    expect(Object.keys(seen)).not.toContain('customerPhone');
    const phone = '+31 70 123 4567';
    expect(
      (await push('mgr', 'orders', edited(baseB, { customerPhone: phone }), baseB)).body.rejections,
    ).toEqual([]);
    const op = await push('op.acme', 'orders', edited(seen, { status: 'picking' }), seen);
    expect(op.body).toMatchObject({ conflicts: [], rejections: [] });
    const stored = await row(o.id);
    expect(stored).toMatchObject({
      status: 'picking',
      customer_phone: phone,
      customer_email: o.customerEmail,
    });
  });

  it('the same change on both sides adds nothing: the second PC gets the master back, no second entry', async () => {
    const { o, baseA, baseB } = await created();
    expect(
      (await push('admin.acme', 'orders', edited(baseA, { status: 'picking' }), baseA)).body.rejections,
    ).toEqual([]);
    const b = await push('mgr', 'orders', edited(baseB, { status: 'picking' }), baseB);
    expect(b.body.rejections).toEqual([]);
    expect(b.body.conflicts[0]).toMatchObject({ id: o.id, status: 'picking' });
    expect((await audits(o.id)).map((e) => e.action)).toEqual(['create', 'update']);
  });

  it('inbound notices: supplier here, expected quantity there; the audit chain verifies', async () => {
    const r: ReceiptDoc = {
      id: randomUUID(),
      tenantId: 'acme',
      reference: `ASN-M-${Math.floor(Math.random() * 1e9)}`,
      supplier: 'Dairy',
      expectedAt: '2026-12-01',
      status: 'open',
      lines: [{ lineId: '1', itemId: ITEM2, expectedQty: 10 }],
      updatedAt: new Date().toISOString(),
      seq: 0,
    };
    expect((await push('op.acme', 'receipts', r, null, { action: 'create' })).body.rejections).toEqual([]);
    const base = await pullOne('op.acme', 'receipts', r.id);
    const a = await push(
      'op.acme',
      'receipts',
      edited(base, { lines: [{ ...r.lines[0]!, expectedQty: 12 }] }),
      base,
    );
    expect(a.body.rejections).toEqual([]);
    const b = await push(
      'mgr',
      'receipts',
      edited(base, { supplier: 'Dairy Co', status: 'receiving' }),
      base,
    );
    expect(b.body).toMatchObject({ conflicts: [], rejections: [] });
    const stored = await s.db
      .selectFrom('receipts')
      .selectAll()
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ supplier: 'Dairy Co', status: 'receiving' });
    expect(json(stored.lines)).toEqual([{ lineId: '1', itemId: ITEM2, expectedQty: 12 }]);
    const verify = await api<{ ok: boolean }>(s.url, '/api/t/acme/audit/verify', { token: tokens['mgr'] });
    expect(verify.body.ok).toBe(true);
  });

  it('a closed notice takes no header change, stale or not, until it is reopened; nothing is written', async () => {
    const r: ReceiptDoc = {
      id: randomUUID(),
      tenantId: 'acme',
      reference: `ASN-C-${Math.floor(Math.random() * 1e9)}`,
      supplier: 'Dairy',
      expectedAt: '2026-12-01',
      status: 'open',
      lines: [{ lineId: '1', itemId: ITEM2, expectedQty: 10 }],
      updatedAt: new Date().toISOString(),
      seq: 0,
    };
    expect((await push('op.acme', 'receipts', r, null, { action: 'create' })).body.rejections).toEqual([]);
    const base = await pullOne('mgr', 'receipts', r.id);
    expect(
      (await push('op.acme', 'receipts', edited(base, { status: 'closed' }), base)).body.rejections,
    ).toEqual([]);
    const stored = () =>
      s.db.selectFrom('receipts').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow();
    const before = await audits(r.id);
    // Stale (edited from the open base) and current (edited from the closed one): both refused.
    const closed = await pullOne('mgr', 'receipts', r.id);
    for (const [from, change] of [
      [base, { supplier: 'Dairy Co' }],
      [closed, { supplier: 'Dairy Co' }],
      [closed, { expectedAt: '2026-12-24', reference: 'ASN-X' }],
    ] as const) {
      const b = await push('mgr', 'receipts', edited(from, change), from);
      expect(b.body.rejections).toHaveLength(1);
      expect(b.body.rejections[0]).toMatchObject({ id: r.id, code: 'invalid' });
      expect(b.body.rejections[0]!.reason).toMatch(
        /^a closed receipt cannot be changed \((supplier|expectedAt|reference)\); reopen it first$/,
      );
    }
    expect(await stored()).toMatchObject({ supplier: 'Dairy', status: 'closed', reference: r.reference });
    expect(await audits(r.id)).toHaveLength(before.length);
    // Reopened to receive more, it takes the change again.
    expect(
      (await push('mgr', 'receipts', edited(closed, { status: 'receiving' }), closed)).body.rejections,
    ).toEqual([]);
    const reopened = await pullOne('mgr', 'receipts', r.id);
    expect(
      (await push('mgr', 'receipts', edited(reopened, { supplier: 'Dairy Co' }), reopened)).body.rejections,
    ).toEqual([]);
    expect(await stored()).toMatchObject({ supplier: 'Dairy Co', status: 'receiving' });
  });
});
