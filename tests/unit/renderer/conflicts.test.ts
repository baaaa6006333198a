import { describe, expect, it } from 'vitest';
import { conflictHandler, ConflictContext } from '../../../renderer/data/conflicts.js';

const base = {
  id: 'i1',
  sku: 'S-1',
  name: 'Old',
  seq: 3,
  updatedAt: '2026-11-26T10:00:00.000Z',
  _deleted: false,
};
const entry = { id: 'e1', action: 'update' };

type D = Record<string, unknown> & { _deleted: boolean };

/** An open order of one line, at the server's sequence 7. */
const open = {
  id: 'o1',
  number: 'SO-1',
  status: 'open',
  customerName: 'Kim',
  lines: [{ lineId: 'l1', itemId: 'i1', qty: 2 }],
  seq: 7,
  _deleted: false,
};

/** Resolves one push conflict of `collection`; `filed` holds what went to Needs attention. */
const resolveWith = (collection: string, assumed: D | undefined, local: D, server: D) => {
  const ctx = new ConflictContext();
  const filed: unknown[] = [];
  ctx.onUnmergeable = (...a) => filed.push(a);
  const resolved = conflictHandler(collection, ctx).resolve(
    { assumedMasterState: assumed, realMasterState: server, newDocumentState: local },
    'test',
  );
  return { resolved, filed };
};

describe('item conflict handler', () => {
  it('adopts the server version when it already holds the local content (no longer pending)', async () => {
    const ctx = new ConflictContext();
    const filed: unknown[] = [];
    ctx.onUnmergeable = (...a) => filed.push(a);
    const server = { ...base, name: 'New', seq: 4, updatedAt: '2026-11-26T10:05:00.000Z' };
    const resolved = await conflictHandler('items', ctx).resolve(
      {
        assumedMasterState: base,
        realMasterState: server,
        newDocumentState: { ...base, name: 'New', pendingAudit: [entry] },
      },
      'test',
    );
    expect(resolved).toEqual(server);
    expect(filed).toEqual([]);
  });

  it('still merges a different local edit and keeps its audit entry pending', async () => {
    const ctx = new ConflictContext();
    const server = { ...base, sku: 'S-9', seq: 4 };
    const resolved = await conflictHandler('items', ctx).resolve(
      {
        assumedMasterState: base,
        realMasterState: server,
        newDocumentState: { ...base, name: 'New', pendingAudit: [entry] },
      },
      'test',
    );
    expect(resolved).toMatchObject({ sku: 'S-9', name: 'New', seq: 4, pendingAudit: [entry] });
  });
});

describe('a local edit pushed without RxDB’s record of its base (soak seed 961038502)', () => {
  // A first download wrote the copy; the edit came before RxDB recorded the pulled version.
  const resolveWithout = (collection: string, local: D, server: D) =>
    resolveWith(collection, undefined, local, server);

  it('takes the server version as the base when the copy carries its sequence: the rename goes on', async () => {
    const { resolved, filed } = resolveWithout(
      'items',
      { ...base, name: 'New', pendingAudit: [entry] },
      base,
    );
    expect(await resolved).toEqual({ ...base, name: 'New', pendingAudit: [entry] });
    expect(filed).toEqual([]);
  });

  it('still files the edit when the server moved on since the copy’s version, or deleted it', async () => {
    const moved = resolveWithout(
      'items',
      { ...base, name: 'New', pendingAudit: [entry] },
      { ...base, seq: 4 },
    );
    expect(await moved.resolved).toEqual({ ...base, seq: 4 });
    expect(moved.filed).toHaveLength(1);
    const gone = resolveWithout(
      'items',
      { ...base, name: 'New', pendingAudit: [entry] },
      { ...base, _deleted: true },
    );
    expect(await gone.resolved).toEqual({ ...base, _deleted: true });
    expect(gone.filed).toHaveLength(1);
    // A copy made on this PC (seq 0) has no server version to stand on.
    const fresh = resolveWithout('items', { ...base, seq: 0, name: 'New', pendingAudit: [entry] }, base);
    expect(fresh.filed).toHaveLength(1);
  });

  it('merges an order edit onto the same server version instead of filing it', async () => {
    const local = { ...open, customerName: 'Kim Retail', pendingAudit: [entry] };
    const { resolved, filed } = resolveWithout('orders', local, open);
    expect(await resolved).toMatchObject({ customerName: 'Kim Retail', seq: 7, pendingAudit: [entry] });
    expect(filed).toEqual([]);
  });
});

describe('a local edit pushed with RxDB’s record of the version before its copy’s (CI flake at fee2cfa)', () => {
  // RxDB wrote the pulled version (picking, seq 9) into the copy; its record of it came in a second
  // write, after the push of the edit made on it: the push carried the record of "open", seq 7.
  const picking = { ...open, status: 'picking', seq: 9 };
  const resolve = (local: D, server: D) => resolveWith('orders', open, local, server);

  it('takes the server version the copy carries as the base: the pack goes on', async () => {
    const packed = { ...picking, status: 'packed', pendingAudit: [entry] };
    const { resolved, filed } = resolve(packed, picking);
    expect(await resolved).toEqual(packed);
    expect(filed).toEqual([]);
  });

  it('still files an edit of an older version that clashes with the server’s change', async () => {
    // Cancelled here on the open order (seq 7) while another PC picked it (seq 9).
    const cancelled = { ...open, status: 'cancelled', pendingAudit: [entry] };
    const { resolved, filed } = resolve(cancelled, picking);
    expect(await resolved).toMatchObject({ status: 'picking', seq: 9 });
    expect(filed).toHaveLength(1);
  });
});
