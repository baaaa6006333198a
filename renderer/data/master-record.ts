import { changedFields } from './conflicts.js';
import {
  createRevision,
  getHeightOfRevision,
  now,
  type RxDocumentData,
  type RxStorageInstance,
  type RxStorageInstanceReplicationState,
  type RxStorageReplicationMeta,
} from 'rxdb';

type Doc = Record<string, unknown>;

/** What RxDB keeps per replicated document: the master state it assumes (`docData`). */
type MetaDoc = RxDocumentData<RxStorageReplicationMeta<Doc, unknown>>;

/** Fields of a stored copy that are RxDB's own, not the document's. */
const STORAGE_FIELDS = new Set(['_meta', '_rev', '_attachments']);

const docState = (d: Doc): Doc =>
  Object.fromEntries(Object.entries(d).filter(([k]) => !STORAGE_FIELDS.has(k)));

type Internal = Pick<RxStorageInstanceReplicationState<Doc>, 'checkpointKey' | 'input'>;
type Fork = Pick<RxStorageInstance<Doc, unknown, unknown>, 'findDocumentsById'>;
type WritableFork = Fork & Pick<RxStorageInstance<Doc, unknown, unknown>, 'bulkWrite'>;

/** What RxDB would write: `docData` as the document's master, after `previous` (new without one). */
async function recordRow(internal: Internal, id: string, docData: Doc, previous: MetaDoc | undefined) {
  const key = await internal.checkpointKey;
  const document: MetaDoc = previous
    ? { ...previous, docData, _rev: createRevision(key, previous), _meta: { ...previous._meta, lwt: now() } }
    : {
        id: `${id}|0`,
        itemId: id,
        isCheckpoint: '0',
        docData,
        _deleted: false,
        _attachments: {},
        _meta: { lwt: now() },
        _rev: createRevision(key),
      };
  return { previous, document };
}

/**
 * The copies of `ids` this PC holds and RxDB's records of them, by id. Records are read only for
 * ids with a copy: neither caller does anything without one (and a first download has none).
 */
async function readBoth(internal: Internal, fork: Fork, ids: readonly string[], primary: string) {
  const copies = await fork.findDocumentsById([...ids], true);
  const copyOf = new Map(copies.map((c) => [String((c as Doc)[primary]), c as Doc]));
  const records =
    copyOf.size === 0
      ? []
      : await internal.input.metaInstance.findDocumentsById(
          [...copyOf.keys()].map((id) => `${id}|0`),
          true,
        );
  return { copyOf, recordOf: new Map(records.map((r) => [r.itemId, r])) };
}

/**
 * Issue #7, fault seed 92040059 (traced with data/sync-trace.ts). After an accepted push RxDB 17
 * records the pushed version as the document's master ("replication-up-write-meta") and ignores a
 * refused write. A pull that brought an older server version of the same document writes that
 * record too — the copy first, the record after — and when the record lands while the push is
 * under way, RxDB's own write is refused (409): it keeps assuming the older master while the copy
 * holds the pushed change. From then on RxDB ignores every pull of the document (the copy looks
 * unpushed) and never pushes it again (its upstream checkpoint passed it): the change is on the
 * server and its audit entries stay pending on this PC for ever.
 *
 * Called once RxDB processed a push, with the versions the server took (every row not answered as
 * a conflict): where the copy still equals the version pushed but RxDB's record is another, it
 * writes the record RxDB meant to write. Returns the documents restored (id and local seq).
 */
export async function restoreMasters(
  internal: Internal,
  fork: Fork,
  taken: readonly Doc[],
  isEqual: (a: Doc, b: Doc) => boolean,
  primary = 'id',
): Promise<{ id: string; seq: number }[]> {
  const restored: { id: string; seq: number }[] = [];
  let todo = [...taken];
  // A refused write (a pull recorded another master meanwhile) is looked at again.
  for (let attempt = 0; attempt < 3 && todo.length > 0; attempt++) {
    const { copyOf, recordOf } = await readBoth(
      internal,
      fork,
      todo.map((d) => String(d[primary])),
      primary,
    );
    const rows: { previous: MetaDoc | undefined; document: MetaDoc }[] = [];
    for (const pushed of todo) {
      const id = String(pushed[primary]);
      const copy = copyOf.get(id);
      const record = recordOf.get(id);
      const master = record?.docData as Doc | undefined;
      // No record (RxDB writes one with the next pull), the record is right, or the copy moved on
      // (a pull applied a newer version, or a new edit is queued with its own push): nothing to do.
      if (!copy || !record || !master || isEqual(master, pushed) || !isEqual(docState(copy), pushed))
        continue;
      rows.push(await recordRow(internal, id, pushed, record));
    }
    if (rows.length === 0) break;
    const refused = await write(internal, rows, 'bulkhead-restore-master');
    for (const r of rows)
      if (!refused.has(r.document.itemId)) {
        const seq = (r.document.docData as Doc)['seq'];
        restored.push({ id: r.document.itemId, seq: typeof seq === 'number' ? seq : 0 });
      }
    todo = todo.filter((d) => refused.has(String(d[primary])));
  }
  return restored;
}

/** Writes the records; returns the ids of those refused (another write landed first). */
async function write(
  internal: Internal,
  rows: { previous: MetaDoc | undefined; document: MetaDoc }[],
  context: string,
): Promise<Set<string>> {
  const res = await internal.input.metaInstance.bulkWrite(rows, context);
  return new Set(res.error.map((e) => String(e.documentId).replace(/\|0$/, '')));
}

/**
 * Issue #7, soak seeds 259441814 and 600445783 (PostgreSQL): a PC held an order it never edited at
 * an older version than the server's while pulls brought the newer one (259441814, traced: op.acme
 * held "open"@96 with no record of its master, and the pull of "picking"@114 was ignored), or
 * while the stale check handed it over (600445783). In both, the page had been closed during its
 * first download.
 *
 * The cause: RxDB's pull writes a copy first and its record of the master after. It marks the copy
 * with `_meta.o` (its replication's hash, the copy's revision height) so that a copy whose record
 * never landed — the page closed in between — is still taken for synced. But RxDB 17.6's storage
 * wrapper (the collection's storage instance, which replication writes through) replaces the
 * `_meta` of every inserted document, so a first pull's copy never carries the mark
 * (tests/unit/renderer/rxdb-insert-meta.test.ts pins it). Such a copy without a record, or with a
 * record of another version, is taken for a local change: RxDB ignores every pulled version of it
 * and, its upstream checkpoint past the write, never pushes it either.
 *
 * A copy without local audit entries holds no change of this PC's (every local write carries its
 * entry: floor.ts, writes.ts, rollback.ts), so RxDB's record of it may be set to the copy itself,
 * after which a pulled version is applied as any other. Called by the pull handler with the ids it
 * is about to hand to RxDB: where RxDB would ignore the version for that reason, the record is set
 * to the copy first. Left alone: a copy with entries (RxDB pushes it first; see restoreMasters for
 * an accepted one), a deleted one, one RxDB is about to push as a resolved conflict, one carrying
 * RxDB's mark, one whose record is right; a refused write too (a pull or a push recorded
 * meanwhile; the next pull or reconnect looks again). Returns the ids realigned, each with the
 * copy's seq.
 */
export async function realignRecords(
  internal: Internal,
  fork: Fork,
  ids: readonly string[],
  isEqual: (a: Doc, b: Doc) => boolean,
  primary = 'id',
): Promise<{ id: string; seq: number }[]> {
  if (ids.length === 0) return [];
  const { copyOf, recordOf } = await readBoth(internal, fork, ids, primary);
  if (copyOf.size === 0) return [];
  const hash = await internal.input.hashFunction(internal.input.identifier);
  const rows: { previous: MetaDoc | undefined; document: MetaDoc }[] = [];
  for (const id of new Set(ids)) {
    const copy = copyOf.get(id);
    if (!copy || copy['_deleted'] === true) continue;
    const entries = copy['pendingAudit'];
    if (Array.isArray(entries) && entries.length > 0) continue;
    const rev = String(copy['_rev']);
    const o = (copy['_meta'] as { o?: { hash?: string; _rev?: number } } | undefined)?.o;
    if (o && o.hash === hash && o._rev === getHeightOfRevision(rev)) continue;
    const record = recordOf.get(id);
    if (record && record.isResolvedConflict === rev) continue;
    const state = docState(copy);
    if (record && isEqual(record.docData as Doc, state)) continue;
    rows.push(await recordRow(internal, id, state, record));
  }
  if (rows.length === 0) return [];
  const refused = await write(internal, rows, 'bulkhead-realign-record');
  return rows
    .filter((r) => !refused.has(r.document.itemId))
    .map((r) => {
      const seq = (r.document.docData as Doc)['seq'];
      return { id: r.document.itemId, seq: typeof seq === 'number' ? seq : 0 };
    });
}

/**
 * Issue #7, PostgreSQL soak seed 749556232: mgr's receipt movement stayed at seq 0 with its audit
 * entry pending while the server held it at 408. A push's answer hands RxDB the stored version of
 * every movement the server accepted, as a conflict (tenant-sync.ts settledMovements); RxDB 17.6
 * writes that resolved version into the copy and its record after. When that write is refused
 * (409: its upstream assumes another write landed in between and will start a new cycle) RxDB
 * writes no record and still moves its upstream checkpoint past the movement; its pull had skipped
 * the movement while the copy looked unpushed (no record). Nothing brings the sequence again.
 * tests/reliability/regressions.spec.ts refuses that write to reproduce it.
 *
 * Called once RxDB processed a push, with the server's versions of the movements it accepted:
 * where the copy still holds the content pushed at seq 0, RxDB's record is set to the server's
 * version and then the copy too (in that order, so RxDB's upstream finds the new copy equal to its
 * record and pushes nothing). Left alone: a copy already at a sequence, a deleted or missing one,
 * one whose content differs; a refused write (another write landed: RxDB has the next word).
 * Returns the movements settled, each with the server's seq.
 */
export async function settleAccepted(
  internal: Internal,
  fork: WritableFork,
  masters: readonly Doc[],
  primary = 'id',
): Promise<{ id: string; seq: number }[]> {
  if (masters.length === 0) return [];
  const { copyOf, recordOf } = await readBoth(
    internal,
    fork,
    masters.map((m) => String(m[primary])),
    primary,
  );
  const due: { id: string; copy: Doc; master: Doc }[] = [];
  const records: { previous: MetaDoc | undefined; document: MetaDoc }[] = [];
  for (const master of masters) {
    const id = String(master[primary]);
    const copy = copyOf.get(id);
    if (!copy || copy['_deleted'] === true || copy['seq'] !== 0 || changedFields(copy, master).length > 0)
      continue;
    due.push({ id, copy, master });
    records.push(await recordRow(internal, id, master, recordOf.get(id)));
  }
  if (due.length === 0) return [];
  const refusedRecords = await write(internal, records, 'bulkhead-settle-record');
  const key = await internal.checkpointKey;
  const rows = due
    .filter((d) => !refusedRecords.has(d.id))
    .map(({ copy, master }) => ({
      previous: copy as RxDocumentData<Doc>,
      document: {
        ...master,
        _meta: { ...(copy['_meta'] as RxDocumentData<Doc>['_meta']), lwt: now() },
        _attachments: (copy['_attachments'] as RxDocumentData<Doc>['_attachments'] | undefined) ?? {},
        _rev: createRevision(key, copy as RxDocumentData<Doc>),
      } as RxDocumentData<Doc>,
    }));
  if (rows.length === 0) return [];
  const res = await fork.bulkWrite(rows, 'bulkhead-settle-movement');
  const refused = new Set(res.error.map((e) => String(e.documentId)));
  return rows
    .filter((r) => !refused.has(String(r.document[primary])))
    .map((r) => {
      const seq = r.document['seq'];
      return { id: String(r.document[primary]), seq: typeof seq === 'number' ? seq : 0 };
    });
}
