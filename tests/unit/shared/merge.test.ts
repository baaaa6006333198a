import { describe, expect, it } from 'vitest';
import { OrderDoc, ReceiptDoc } from '../../../shared/domain/floor.js';
import { describeConflict, isFinalStatus, mergeFloorDoc } from '../../../shared/domain/merge.js';
import { ConflictContext, resolveFloor } from '../../../renderer/data/conflicts.js';

type Doc = Record<string, unknown>;
const ITEM1 = '00000000-0000-4000-8000-000000000001';
const ITEM2 = '00000000-0000-4000-8000-000000000002';
const ITEM3 = '00000000-0000-4000-8000-000000000003';

const base: OrderDoc = {
  id: '00000000-0000-4000-8000-0000000000aa',
  tenantId: 'acme',
  number: 'SO-1',
  customerName: 'Kim Retail',
  customerPhone: '+31 10 555 0199',
  customerEmail: null,
  shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
  status: 'open',
  lines: [
    { lineId: '1', itemId: ITEM1, qty: 2 },
    { lineId: '2', itemId: ITEM2, qty: 5 },
  ],
  updatedAt: '2026-11-26T10:00:00.000Z',
  seq: 10,
};
const NEW_ADDRESS = {
  line1: '9 Canal St',
  line2: 'Dock 4',
  city: 'Delft',
  postalCode: '2611',
  country: 'NL',
};
/** A version of the base edited on one PC (the server bumps seq and updatedAt on the other). */
const edit = (over: Partial<OrderDoc>, server = false): Doc => ({
  ...base,
  ...over,
  ...(server
    ? { seq: 11, updatedAt: '2026-11-26T10:05:00.000Z' }
    : { updatedAt: '2026-11-26T10:04:00.000Z' }),
});
const merge = (mine: Doc, theirs: Doc) => {
  const r = mergeFloorDoc('orders', base, mine, theirs);
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r;
};

describe('mergeFloorDoc: orders field by field and line by line', () => {
  it('keeps both edits when they touch different fields (ship-to here, a new line there)', () => {
    const theirs = edit({ shipTo: NEW_ADDRESS }, true);
    const mine = edit({ lines: [...base.lines, { lineId: '3', itemId: ITEM3, qty: 1 }] });
    const r = merge(mine, theirs);
    expect(r.conflicts).toEqual([]);
    expect(r.merged['shipTo']).toEqual(NEW_ADDRESS);
    expect(r.merged['lines']).toEqual([...base.lines, { lineId: '3', itemId: ITEM3, qty: 1 }]);
    // The server's own fields stay the server's; the result is a valid order.
    expect(r.merged).toMatchObject({ seq: 11, updatedAt: '2026-11-26T10:05:00.000Z' });
    expect(OrderDoc.safeParse(r.merged).success).toBe(true);
    expect(r.mine).toEqual(['lines[3]']);
    expect(r.theirs).toEqual(['shipTo']);
    // Symmetric: the same two edits merged the other way round give the same content.
    const flipped = merge(theirs, mine);
    expect(flipped.merged['shipTo']).toEqual(NEW_ADDRESS);
    expect(flipped.merged['lines']).toEqual(r.merged['lines']);
  });

  it('merges line 1 changed here with line 2 changed there', () => {
    const theirs = edit({ lines: [base.lines[0]!, { lineId: '2', itemId: ITEM2, qty: 8 }] }, true);
    const mine = edit({ lines: [{ lineId: '1', itemId: ITEM1, qty: 4 }, base.lines[1]!] });
    const r = merge(mine, theirs);
    expect(r.conflicts).toEqual([]);
    expect(r.merged['lines']).toEqual([
      { lineId: '1', itemId: ITEM1, qty: 4 },
      { lineId: '2', itemId: ITEM2, qty: 8 },
    ]);
  });

  it('the same field changed on both sides: the server value stays and the loss names both values', () => {
    const other = { ...NEW_ADDRESS, city: 'Leiden', line1: '3 Rapenburg' };
    const theirs = edit({ shipTo: other, customerName: 'Kim Retail BV' }, true);
    const mine = edit({
      shipTo: NEW_ADDRESS,
      number: 'SO-1A',
      lines: [{ lineId: '1', itemId: ITEM1, qty: 4 }, base.lines[1]!],
    });
    const r = merge(mine, theirs);
    expect(r.merged['shipTo']).toEqual(other);
    // Non-conflicting edits of both sides are kept.
    expect(r.merged).toMatchObject({ number: 'SO-1A', customerName: 'Kim Retail BV' });
    expect((r.merged['lines'] as Doc[])[0]).toMatchObject({ qty: 4 });
    expect(r.conflicts).toEqual([{ path: 'shipTo', mine: NEW_ADDRESS, theirs: other }]);
    const text = describeConflict(r.conflicts[0]!);
    expect(text).toContain('3 Rapenburg, Dock 4, Leiden');
    expect(text).toContain('9 Canal St, Dock 4, Delft');
  });

  it('the same line field changed on both sides: the server qty stays, reported per line', () => {
    const theirs = edit({ lines: [{ lineId: '1', itemId: ITEM1, qty: 3 }, base.lines[1]!] }, true);
    const mine = edit({ lines: [{ lineId: '1', itemId: ITEM1, qty: 7 }, base.lines[1]!] });
    const r = merge(mine, theirs);
    expect(r.merged['lines']).toEqual(theirs['lines']);
    expect(r.conflicts).toEqual([{ path: 'lines[1].qty', mine: 7, theirs: 3 }]);
    expect(describeConflict(r.conflicts[0]!)).toBe('lines[1].qty (server: 3; this PC: 7)');
  });

  it('the same change on both sides is no conflict and leaves nothing to apply', () => {
    const theirs = edit({ status: 'picking' }, true);
    const r = merge(edit({ status: 'picking' }), theirs);
    expect(r.conflicts).toEqual([]);
    expect(r.merged).toEqual(theirs);
  });

  it('a line removed here goes, unless the server changed it; a line removed there stays gone', () => {
    const removedHere = merge(edit({ lines: [base.lines[1]!] }), edit({ shipTo: NEW_ADDRESS }, true));
    expect(removedHere.conflicts).toEqual([]);
    expect(removedHere.merged['lines']).toEqual([base.lines[1]]);

    const changedThere = edit({ lines: [{ lineId: '1', itemId: ITEM1, qty: 9 }, base.lines[1]!] }, true);
    const kept = merge(edit({ lines: [base.lines[1]!] }), changedThere);
    expect(kept.merged['lines']).toEqual(changedThere['lines']);
    expect(kept.conflicts).toEqual([
      { path: 'lines[1]', mine: undefined, theirs: { lineId: '1', itemId: ITEM1, qty: 9 } },
    ]);
    expect(describeConflict(kept.conflicts[0]!)).toBe(`lines[1] (server: 9 × ${ITEM1}; this PC: removed)`);

    const removedThere = edit({ lines: [base.lines[1]!] }, true);
    const lost = merge(
      edit({ lines: [{ lineId: '1', itemId: ITEM1, qty: 6 }, base.lines[1]!] }),
      removedThere,
    );
    expect(lost.merged['lines']).toEqual([base.lines[1]]);
    expect(lost.conflicts).toEqual([
      { path: 'lines[1]', mine: { lineId: '1', itemId: ITEM1, qty: 6 }, theirs: undefined },
    ]);
  });

  it('lines added on both sides with different ids both stay; the same id with other content conflicts', () => {
    const theirs = edit({ lines: [...base.lines, { lineId: 'b-1', itemId: ITEM3, qty: 1 }] }, true);
    const mine = edit({ lines: [...base.lines, { lineId: 'a-1', itemId: ITEM2, qty: 2 }] });
    expect(merge(mine, theirs).merged['lines']).toEqual([
      ...base.lines,
      { lineId: 'b-1', itemId: ITEM3, qty: 1 },
      { lineId: 'a-1', itemId: ITEM2, qty: 2 },
    ]);
    const clash = merge(edit({ lines: [...base.lines, { lineId: 'b-1', itemId: ITEM2, qty: 2 }] }), theirs);
    expect(clash.merged['lines']).toEqual(theirs['lines']);
    expect(clash.conflicts.map((c) => c.path)).toEqual(['lines[b-1]']);
  });

  it('a status changed differently on both sides keeps the server status (a cancel here is reported)', () => {
    const r = merge(edit({ status: 'cancelled' }), edit({ status: 'picking' }, true));
    expect(r.merged['status']).toBe('picking');
    expect(r.conflicts).toEqual([{ path: 'status', mine: 'cancelled', theirs: 'picking' }]);
    // A status change here with other fields changed there is merged (the server checks the transition).
    expect(merge(edit({ status: 'packed' }), edit({ shipTo: NEW_ADDRESS }, true)).merged).toMatchObject({
      status: 'packed',
      shipTo: NEW_ADDRESS,
    });
  });

  it('never undoes a cancellation or a shipment: any edit of such an order is refused', () => {
    for (const status of ['cancelled', 'shipped'] as const) {
      const theirs = edit({ status }, true);
      for (const mine of [
        edit({ shipTo: NEW_ADDRESS }),
        edit({ status: 'picking' }),
        edit({ lines: [base.lines[0]!] }),
      ]) {
        const r = mergeFloorDoc('orders', base, mine, theirs);
        expect(r).toEqual({ ok: false, reason: `the order SO-1 is ${status}; this change was not applied` });
      }
    }
    // The same cancellation on both sides changes nothing and refuses nothing.
    const both = mergeFloorDoc(
      'orders',
      base,
      edit({ status: 'cancelled' }),
      edit({ status: 'cancelled' }, true),
    );
    expect(both).toMatchObject({ ok: true, conflicts: [] });
    expect(isFinalStatus('orders', 'shipped')).toBe(true);
    expect(isFinalStatus('orders', 'packed')).toBe(false);
    expect(isFinalStatus('receipts', 'closed')).toBe(false);
    expect(isFinalStatus('receipts', 'cancelled')).toBe(true);
  });

  it('deletion: an edit of a document deleted meanwhile is refused; a deletion against an edit loses', () => {
    const deleted = { ...edit({}, true), _deleted: true };
    expect(mergeFloorDoc('orders', base, edit({ shipTo: NEW_ADDRESS }), deleted)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('deleted meanwhile') as string,
    });
    const r = merge({ ...edit({}), _deleted: true }, edit({ shipTo: NEW_ADDRESS }, true));
    expect(r.merged['_deleted']).not.toBe(true);
    expect(r.conflicts).toEqual([{ path: '_deleted', mine: true, theirs: false }]);
    // Against an untouched server document the deletion goes through.
    expect(merge({ ...edit({}), _deleted: true }, edit({}, true)).merged['_deleted']).toBe(true);
  });

  it('a field absent from this edit (hidden from the writer, or masked and left alone) is unchanged', () => {
    const { customerPhone: _p, customerEmail: _e, ...seen } = base;
    const theirs = edit({ customerPhone: '+31 70 000 0000' }, true);
    const r = mergeFloorDoc('orders', seen, { ...seen, status: 'picking' }, theirs);
    expect(r).toMatchObject({ ok: true, conflicts: [] });
    if (r.ok) expect(r.merged).toMatchObject({ status: 'picking', customerPhone: '+31 70 000 0000' });
  });
  it("ignores keys only the client's assumed state carries (nothing to merge, nothing to report)", () => {
    const r = mergeFloorDoc(
      'orders',
      { ...base, junk: 'x'.repeat(50) },
      edit({ status: 'picking' }),
      edit({}, true),
    );
    expect(r).toMatchObject({ ok: true, conflicts: [], mine: ['status'], theirs: [] });
  });
});

describe('mergeFloorDoc: inbound notices', () => {
  const receipt: ReceiptDoc = {
    id: '00000000-0000-4000-8000-0000000000bb',
    tenantId: 'acme',
    reference: 'ASN-1',
    supplier: 'Dairy',
    expectedAt: '2026-12-01',
    status: 'open',
    lines: [{ lineId: '1', itemId: ITEM1, expectedQty: 10 }],
    updatedAt: '2026-11-26T10:00:00.000Z',
    seq: 3,
  };
  it('merges supplier here with expected quantity there; refuses edits of a cancelled notice', () => {
    const theirs = { ...receipt, seq: 4, lines: [{ lineId: '1', itemId: ITEM1, expectedQty: 12 }] };
    const r = mergeFloorDoc('receipts', receipt, { ...receipt, supplier: 'Dairy Co' }, theirs);
    expect(r).toMatchObject({ ok: true, conflicts: [] });
    if (r.ok) {
      expect(r.merged).toMatchObject({ supplier: 'Dairy Co', lines: theirs.lines, seq: 4 });
      expect(ReceiptDoc.safeParse(r.merged).success).toBe(true);
    }
    const cancelled = mergeFloorDoc(
      'receipts',
      receipt,
      { ...receipt, supplier: 'X' },
      { ...theirs, status: 'cancelled' },
    );
    expect(cancelled).toEqual({
      ok: false,
      reason: 'the inbound notice ASN-1 is cancelled; this change was not applied',
    });
  });
});

describe("the renderer's conflict handler for orders (resolveFloor)", () => {
  const filed: { collection: string; fields: string[] }[] = [];
  const ctx = new ConflictContext();
  ctx.onUnmergeable = (collection, _local, _server, fields) => filed.push({ collection, fields });
  const pending = [{ id: 'entry-1' }];

  it('keeps the non-conflicting part of the local edit with its audit entry and files the loss', () => {
    filed.length = 0;
    const theirs = edit({ shipTo: { ...NEW_ADDRESS, city: 'Leiden' } }, true);
    const local = { ...edit({ shipTo: NEW_ADDRESS, number: 'SO-1A' }), pendingAudit: pending };
    const out = resolveFloor('orders', base, local, theirs, ctx) as Doc;
    expect(out).toMatchObject({ number: 'SO-1A', shipTo: { city: 'Leiden' }, seq: 11 });
    expect(filed).toEqual([
      {
        collection: 'orders',
        fields: [expect.stringContaining('shipTo (server: 9 Canal St, Dock 4, Leiden') as string],
      },
    ]);
    // The audit entry goes along, saying what was merged (within the entry's 500 characters).
    expect(out['pendingAudit']).toEqual([{ id: 'entry-1', reason: "[merged; the server's shipTo kept]" }]);
    const long = { id: 'entry-2', reason: 'x'.repeat(500) };
    const noted = resolveFloor('orders', base, { ...local, pendingAudit: [long] }, theirs, ctx) as Doc;
    const entry = (noted['pendingAudit'] as Doc[])[0]!;
    expect(String(entry['reason'])).toHaveLength(500);
    expect(String(entry['reason'])).toMatch(/x \[merged; the server's shipTo kept\]$/);
  });

  it('returns the server state (filing the edit) when the order was cancelled meanwhile', () => {
    filed.length = 0;
    const theirs = edit({ status: 'cancelled' }, true);
    const out = resolveFloor(
      'orders',
      base,
      { ...edit({ status: 'picking' }), pendingAudit: pending },
      theirs,
      ctx,
    );
    expect(out).toBe(theirs);
    expect(filed).toEqual([
      { collection: 'orders', fields: ['the order SO-1 is cancelled; this change was not applied'] },
    ]);
  });

  it('adopts the server state silently when nothing of the local edit is left (same change on both sides)', () => {
    filed.length = 0;
    const theirs = edit({ status: 'picking' }, true);
    expect(
      resolveFloor('orders', base, { ...edit({ status: 'picking' }), pendingAudit: pending }, theirs, ctx),
    ).toBe(theirs);
    // A retried create (no assumed master) whose content the server already holds.
    expect(
      resolveFloor('orders', undefined, { ...base, seq: 0, pendingAudit: pending }, edit({}, true), ctx),
    ).toEqual(edit({}, true));
    expect(filed).toEqual([]);
  });
});
