import { describe, expect, it } from 'vitest';
import { realignRecords, restoreMasters, settleAccepted } from '../../../renderer/data/master-record.js';

type Doc = Record<string, unknown>;

/** RxDB's record of a document's master, as its meta instance stores it. */
const record = (id: string, docData: Doc, rev = '1-a') => ({
  id: `${id}|0`,
  itemId: id,
  isCheckpoint: '0',
  docData,
  _deleted: false,
  _rev: rev,
  _meta: { lwt: 1 },
  _attachments: {},
});

/** A fork and meta instance in memory; `refuseOnce` ids are refused (409) on their first write. */
function fakes(copies: Doc[], records: ReturnType<typeof record>[], refuseOnce: string[] = []) {
  const meta = new Map(records.map((r) => [r.id, r]));
  const refuse = new Set(refuseOnce);
  const writes: { id: string; docData: unknown; rev: string }[] = [];
  const metaInstance = {
    findDocumentsById: (ids: string[]) =>
      Promise.resolve(ids.map((i) => meta.get(i)).filter((r): r is ReturnType<typeof record> => !!r)),
    bulkWrite: (rows: { previous?: ReturnType<typeof record>; document: ReturnType<typeof record> }[]) => {
      const error: { documentId: string; status: number }[] = [];
      for (const r of rows) {
        if (refuse.delete(r.document.id) || meta.get(r.document.id)?._rev !== r.previous?._rev) {
          // A pull recorded another version meanwhile (what RxDB's refused write meets).
          const now = meta.get(r.document.id) ?? r.document;
          meta.set(now.id, { ...now, _rev: `${Number(now._rev.split('-')[0]) + 1}-pull` });
          error.push({ documentId: r.document.id, status: 409 });
          continue;
        }
        meta.set(r.document.id, r.document);
        writes.push({ id: r.document.itemId, docData: r.document.docData, rev: r.document._rev });
      }
      return Promise.resolve({ error });
    },
  };
  const internal = {
    checkpointKey: Promise.resolve('key'),
    input: { metaInstance, identifier: 'repl', hashFunction: (s: string) => Promise.resolve(`h(${s})`) },
  };
  const forkWrites: { context: string; document: Doc }[] = [];
  const fork = {
    findDocumentsById: (ids: string[]) =>
      Promise.resolve(copies.filter((c) => ids.includes(String(c['id'])))),
    // A copy is replaced only after the revision it was read at (else 409, as RxDB's storage).
    bulkWrite: (rows: { previous: Doc; document: Doc }[], context: string) => {
      const error: { documentId: string; status: number }[] = [];
      for (const r of rows) {
        const i = copies.findIndex((c) => c['id'] === r.document['id']);
        if (i < 0 || copies[i]?.['_rev'] !== r.previous['_rev']) {
          error.push({ documentId: String(r.document['id']), status: 409 });
          continue;
        }
        copies[i] = r.document;
        forkWrites.push({ context, document: r.document });
      }
      return Promise.resolve({ error });
    },
  };
  return { internal: internal as never, fork: fork as never, meta, writes, copies, forkWrites };
}

const same = (a: Doc, b: Doc) => JSON.stringify(a) === JSON.stringify(b);
const stored = (d: Doc, rev: string) => ({
  ...d,
  _rev: rev,
  _meta: { lwt: 5, o: { _rev: 3 } },
  _attachments: {},
});

describe('restoreMasters: RxDB’s record of an accepted push that lost a race with a pull', () => {
  const older = { id: 'o1', seq: 29, status: 'open', _deleted: false };
  const pushed = { id: 'o1', seq: 29, status: 'picking', pendingAudit: [{ id: 'e1' }], _deleted: false };

  it('records the pushed version where the copy still holds it and the record is an older master', async () => {
    const f = fakes([stored(pushed, '4-x')], [record('o1', older)]);
    expect(await restoreMasters(f.internal, f.fork, [pushed], same)).toEqual([{ id: 'o1', seq: 29 }]);
    expect(f.writes).toHaveLength(1);
    expect(f.writes[0]?.docData).toEqual(pushed);
    // A new revision after the record's (RxDB's own write would have made one).
    expect(f.writes[0]?.rev).toMatch(/^2-/);
  });

  it('leaves a right record, a copy that moved on and a document without a record alone', async () => {
    const moved = { ...pushed, id: 'o2', status: 'packed' };
    const o2 = { ...pushed, id: 'o2' };
    const o3 = { ...pushed, id: 'o3' };
    // o1: the record is right; o2: its copy moved on (a new edit, pushed with its own record);
    // o3: no record yet (RxDB writes one with the next pull).
    const f = fakes(
      [stored(pushed, '4-x'), stored(moved, '5-x'), stored(o3, '2-x')],
      [record('o1', pushed), record('o2', { ...older, id: 'o2' })],
    );
    expect(await restoreMasters(f.internal, f.fork, [pushed, o2, o3], same)).toEqual([]);
    expect(f.writes).toEqual([]);
  });

  it('looks again when its own write is refused (a pull recorded meanwhile) and then records it', async () => {
    const f = fakes([stored(pushed, '4-x')], [record('o1', older)], ['o1|0']);
    expect(await restoreMasters(f.internal, f.fork, [pushed], same)).toEqual([{ id: 'o1', seq: 29 }]);
    expect(f.meta.get('o1|0')?.docData).toEqual(pushed);
  });
});

describe('realignRecords: RxDB’s record of a copy without local entries, set to the copy', () => {
  const open = { id: 'o1', seq: 202, status: 'open', _deleted: false };
  const other = { id: 'o1', seq: 150, status: 'open', customerName: 'Kim', _deleted: false };

  it('sets a record of another version, and writes one where there is none', async () => {
    const o2 = { ...open, id: 'o2' };
    const f = fakes([stored(open, '3-x'), stored(o2, '1-x')], [record('o1', other)]);
    expect(await realignRecords(f.internal, f.fork, ['o1', 'o2'], same)).toEqual([
      { id: 'o1', seq: 202 },
      { id: 'o2', seq: 202 },
    ]);
    // The copy's document state, without RxDB's own fields.
    expect(f.meta.get('o1|0')?.docData).toEqual(open);
    expect(f.meta.get('o1|0')?._rev).toMatch(/^2-/);
    expect(f.meta.get('o2|0')).toMatchObject({ itemId: 'o2', isCheckpoint: '0', docData: o2 });
    expect(f.meta.get('o2|0')?._rev).toMatch(/^1-/);
  });

  it('leaves a copy with local entries, a deleted one, a resolved conflict RxDB is to push, one its pull wrote last, a right record and a missing copy alone', async () => {
    const edited = { ...open, id: 'o1', pendingAudit: [{ id: 'e1' }] };
    const resolved = { ...open, id: 'o2' };
    const right = { ...open, id: 'o3' };
    const gone = { ...open, id: 'o5', _deleted: true };
    // Written by RxDB's own pull: `_meta.o` names this replication and the copy's revision height.
    const pulled = {
      ...stored({ ...open, id: 'o6' }, '3-p'),
      _meta: { lwt: 5, o: { _rev: 3, hash: 'h(repl)' } },
    };
    const f = fakes(
      [stored(edited, '3-x'), stored(resolved, '4-r'), stored(right, '2-x'), stored(gone, '2-x'), pulled],
      [
        record('o1', other),
        { ...record('o2', { ...other, id: 'o2' }), isResolvedConflict: '4-r' } as ReturnType<typeof record>,
        record('o3', right),
        record('o5', { ...other, id: 'o5' }),
        record('o6', { ...other, id: 'o6' }),
      ],
    );
    expect(await realignRecords(f.internal, f.fork, ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'], same)).toEqual([]);
    expect(f.writes).toEqual([]);
  });

  it('does not report a record whose write was refused (a pull or push recorded meanwhile)', async () => {
    const f = fakes([stored(open, '3-x')], [record('o1', other)], ['o1|0']);
    expect(await realignRecords(f.internal, f.fork, ['o1'], same)).toEqual([]);
    expect(f.meta.get('o1|0')?.docData).toEqual(other);
  });
});

describe('settleAccepted: an accepted movement RxDB left at seq 0 gets the server’s version', () => {
  const sent = {
    id: 'm1',
    itemId: 'i1',
    type: 'receipt',
    quantity: 3,
    toLocationId: 'A-01-02',
    seq: 0,
    pendingAudit: [{ id: 'e1' }],
    _deleted: false,
  };
  const { pendingAudit: _p, ...content } = sent;
  const master = { ...content, seq: 408 };

  it('writes RxDB’s record, then the copy (same content, the sequence, no local entries)', async () => {
    const f = fakes([stored(sent, '1-x')], []);
    expect(await settleAccepted(f.internal, f.fork, [master])).toEqual([{ id: 'm1', seq: 408 }]);
    expect(f.writes).toEqual([{ id: 'm1', docData: master, rev: expect.stringMatching(/^1-/) as unknown }]);
    expect(f.forkWrites).toHaveLength(1);
    const written = f.forkWrites[0]!;
    expect(written.context).toBe('bulkhead-settle-movement');
    expect(written.document).toMatchObject({ ...master, _attachments: {} });
    expect(written.document).not.toHaveProperty('pendingAudit');
    // After the copy's revision, keeping RxDB's meta of the copy (a fresh write time).
    expect(written.document['_rev']).toMatch(/^2-/);
    expect(written.document['_meta']).toMatchObject({ o: { _rev: 3 } });
  });

  it('replaces a record of the unsent copy too (RxDB would never push it again)', async () => {
    const f = fakes([stored(sent, '1-x')], [record('m1', sent)]);
    expect(await settleAccepted(f.internal, f.fork, [master])).toEqual([{ id: 'm1', seq: 408 }]);
    expect(f.meta.get('m1|0')?.docData).toEqual(master);
    expect(f.meta.get('m1|0')?._rev).toMatch(/^2-/);
  });

  it('leaves a copy at a sequence, a deleted, missing or different one alone', async () => {
    const f = fakes(
      [
        stored({ ...content, seq: 408 }, '2-x'),
        stored({ ...sent, id: 'm2', _deleted: true }, '2-x'),
        stored({ ...sent, id: 'm3', quantity: 4 }, '1-x'),
      ],
      [],
    );
    const masters = ['m1', 'm2', 'm3', 'm4'].map((id) => ({ ...master, id }));
    expect(await settleAccepted(f.internal, f.fork, masters)).toEqual([]);
    expect(f.writes).toEqual([]);
    expect(f.forkWrites).toEqual([]);
  });

  it('reports neither a movement whose record nor one whose copy write is refused', async () => {
    const f = fakes([stored(sent, '1-x'), stored({ ...sent, id: 'm2' }, '1-x')], [], ['m1|0']);
    // m2's copy changes after it was read (another write landed): its write is refused.
    const read = f.fork as unknown as { findDocumentsById(ids: string[]): Promise<Doc[]> };
    const own = read.findDocumentsById.bind(read);
    read.findDocumentsById = async (ids) => {
      const found = await own(ids);
      f.copies[1] = { ...f.copies[1], _rev: '2-other' };
      return found;
    };
    expect(await settleAccepted(f.internal, f.fork, [master, { ...master, id: 'm2' }])).toEqual([]);
    expect(f.forkWrites).toEqual([]);
  });
});
