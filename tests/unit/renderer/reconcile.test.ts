import { describe, expect, it } from 'vitest';
import { chunked, StaleHandover, staleCandidates, type LocalNow } from '../../../renderer/data/reconcile.js';

const doc = (id: string, seq: number, status = 'open', over: Record<string, unknown> = {}) => ({
  id,
  seq,
  status,
  ...over,
});
const entry = { id: 'e1', action: 'update' };

describe('staleCandidates: which local copies are checked against the server', () => {
  it('sends open orders the server has, with local entries or without', () => {
    const docs = [
      doc('o1', 157, 'open'),
      doc('o2', 12, 'picking'),
      doc('o3', 13, 'packed'),
      doc('o4', 20, 'shipped'),
      doc('o5', 21, 'cancelled'),
      doc('o6', 0, 'open'), // created here, never pushed
      doc('o7', 30, 'open', { pendingAudit: [entry] }), // edited here: pushed or not, RxDB decides
      doc('o8', 31, 'open', { pendingAudit: [] }), // pushed: the entries are gone
      doc('o9', 32, 'open', { _deleted: true }),
    ];
    expect(staleCandidates('orders', docs)).toEqual([
      ['o1', 157],
      ['o2', 12],
      ['o3', 13],
      ['o7', 30],
      ['o8', 31],
    ]);
  });

  it('sends inbound notices that are not cancelled, closed ones included (they can be reopened)', () => {
    const docs = [
      doc('r1', 5, 'expected'),
      doc('r2', 6, 'receiving'),
      doc('r3', 7, 'closed'),
      doc('r4', 8, 'cancelled'),
      doc('r5', 9, 'closed', { pendingAudit: [entry] }),
    ];
    expect(staleCandidates('receipts', docs)).toEqual([
      ['r1', 5],
      ['r2', 6],
      ['r3', 7],
      ['r5', 9],
    ]);
    // "shipped" is final for orders only.
    expect(staleCandidates('receipts', [doc('r6', 3, 'shipped')])).toEqual([['r6', 3]]);
  });

  it('splits the pairs into requests of at most 5,000', () => {
    const pairs = Array.from({ length: 12_001 }, (_, i): [string, number] => [`o${i}`, i + 1]);
    const parts = chunked(pairs);
    expect(parts.map((p) => p.length)).toEqual([5000, 5000, 2001]);
    expect(parts.flat()).toEqual(pairs);
    expect(chunked([])).toEqual([]);
  });
});

describe('StaleHandover: the server’s newer versions handed to the next pull', () => {
  const holds =
    (m: Record<string, LocalNow>) =>
    (id: string): LocalNow =>
      m[id] ?? null;

  it('hands a version the checkpoint already passed to the next pull, once, and reports it', () => {
    const h = new StaleHandover();
    h.offer([doc('o1', 165, 'cancelled')]);
    const first = h.take([doc('o2', 170)], 170, holds({ o1: { seq: 157, pending: false } }));
    expect(first.documents).toEqual([doc('o1', 165, 'cancelled'), doc('o2', 170)]);
    expect(first.repaired).toEqual([{ id: 'o1', localSeq: 157, serverSeq: 165, pending: false }]);
    // Once only.
    const again = h.take([], 170, holds({ o1: { seq: 157, pending: false } }));
    expect(again).toEqual({ documents: [], repaired: [] });
  });

  it('does not duplicate a document the pull itself brings (same or newer version)', () => {
    const h = new StaleHandover();
    h.offer([doc('o1', 165, 'cancelled'), doc('o3', 166, 'packed')]);
    const local = holds({ o1: { seq: 157, pending: false }, o3: { seq: 100, pending: false } });
    const r = h.take([doc('o1', 165, 'cancelled'), doc('o3', 180, 'shipped')], 170, local);
    expect(r.documents).toEqual([doc('o1', 165, 'cancelled'), doc('o3', 180, 'shipped')]);
    expect(r.repaired).toEqual([]);
  });

  it('replaces an older version in the pull by the newer one, in place', () => {
    const h = new StaleHandover();
    h.offer([doc('o1', 165, 'cancelled')]);
    const r = h.take(
      [doc('o2', 171), doc('o1', 160, 'picking')],
      172,
      holds({ o1: { seq: 150, pending: false } }),
    );
    expect(r.documents).toEqual([doc('o2', 171), doc('o1', 165, 'cancelled')]);
    expect(r.repaired).toEqual([{ id: 'o1', localSeq: 150, serverSeq: 165, pending: false }]);
  });

  it('leaves a version above the checkpoint to the pull (a change made while the check ran): no repair', () => {
    const h = new StaleHandover();
    h.offer([doc('o1', 165, 'cancelled')]);
    const r = h.take([doc('o2', 100)], 100, holds({ o1: { seq: 157, pending: false } }));
    expect(r).toEqual({ documents: [doc('o2', 100)], repaired: [] });
    // Dropped, not kept for later: the pull brings it.
    expect(h.ids()).toEqual([]);
    // Without a checkpoint (no first pull yet) nothing is handed over either.
    h.offer([doc('o1', 165, 'cancelled')]);
    expect(h.take([], undefined, holds({ o1: { seq: 157, pending: false } })).repaired).toEqual([]);
  });

  it('drops a version the PC caught up with meanwhile', () => {
    const h = new StaleHandover();
    h.offer([doc('o1', 165), doc('o2', 166), doc('o4', 168)]);
    const r = h.take(
      [],
      200,
      holds({
        o1: { seq: 165, pending: false }, // a pull applied it meanwhile
        o2: { seq: 190, pending: false }, // and a newer one
        // o4: gone here (a tombstone applied meanwhile)
      }),
    );
    expect(r).toEqual({ documents: [], repaired: [] });
  });

  it('hands a version over to a copy with local entries too, and says so (RxDB decides)', () => {
    // A pick accepted (its entry on the server, seq 32) while the PC kept "picking"@30 with the
    // entry pending and nothing left to push; the pull had passed 32.
    const h = new StaleHandover();
    h.offer([doc('o3', 32, 'picking')]);
    const r = h.take([], 40, holds({ o3: { seq: 30, pending: true } }));
    expect(r.documents).toEqual([doc('o3', 32, 'picking')]);
    expect(r.repaired).toEqual([{ id: 'o3', localSeq: 30, serverSeq: 32, pending: true }]);
  });

  it('keeps the newest version of an id offered twice (two requests of one check)', () => {
    const h = new StaleHandover();
    h.offer([doc('o1', 165, 'picking')]);
    h.offer([doc('o1', 170, 'cancelled'), doc('o1', 160, 'open')]);
    expect(h.ids()).toEqual(['o1']);
    const r = h.take([], 180, holds({ o1: { seq: 157, pending: false } }));
    expect(r.documents).toEqual([doc('o1', 170, 'cancelled')]);
    expect(r.repaired).toEqual([{ id: 'o1', localSeq: 157, serverSeq: 170, pending: false }]);
  });

  it('hands a server tombstone over like any other version', () => {
    const h = new StaleHandover();
    const tomb = doc('o1', 165, 'open', { _deleted: true });
    h.offer([tomb]);
    const r = h.take([], 170, holds({ o1: { seq: 157, pending: false } }));
    expect(r.documents).toEqual([tomb]);
    expect(r.repaired).toEqual([{ id: 'o1', localSeq: 157, serverSeq: 165, pending: false }]);
  });

  it('passes a pull through untouched when nothing waits', () => {
    const h = new StaleHandover();
    const pulled = [doc('o1', 3)];
    expect(h.take(pulled, 2, () => null)).toEqual({ documents: pulled, repaired: [] });
  });
});
