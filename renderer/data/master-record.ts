import {
  createRevision,
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
  internal: Pick<RxStorageInstanceReplicationState<Doc>, 'checkpointKey' | 'input'>,
  fork: Pick<RxStorageInstance<Doc, unknown, unknown>, 'findDocumentsById'>,
  taken: readonly Doc[],
  isEqual: (a: Doc, b: Doc) => boolean,
  primary = 'id',
): Promise<{ id: string; seq: number }[]> {
  const restored: { id: string; seq: number }[] = [];
  let todo = [...taken];
  // A refused write (a pull recorded another master meanwhile) is looked at again.
  for (let attempt = 0; attempt < 3 && todo.length > 0; attempt++) {
    const ids = todo.map((d) => String(d[primary]));
    const [copies, records] = await Promise.all([
      fork.findDocumentsById(ids, true),
      internal.input.metaInstance.findDocumentsById(
        ids.map((id) => `${id}|0`),
        true,
      ),
    ]);
    const copyOf = new Map(copies.map((c) => [String((c as Doc)[primary]), c as Doc]));
    const recordOf = new Map(records.map((r) => [r.itemId, r]));
    const key = await internal.checkpointKey;
    const rows: { previous: MetaDoc; document: MetaDoc }[] = [];
    for (const pushed of todo) {
      const id = String(pushed[primary]);
      const copy = copyOf.get(id);
      const record = recordOf.get(id);
      const master = record?.docData as Doc | undefined;
      // No record (RxDB writes one with the next pull), the record is right, or the copy moved on
      // (a pull applied a newer version, or a new edit is queued with its own push): nothing to do.
      if (!copy || !record || !master || isEqual(master, pushed) || !isEqual(docState(copy), pushed))
        continue;
      rows.push({
        previous: record,
        document: {
          ...record,
          docData: pushed,
          _rev: createRevision(key, record),
          _meta: { ...record._meta, lwt: now() },
        },
      });
    }
    if (rows.length === 0) break;
    const res = await internal.input.metaInstance.bulkWrite(rows, 'bulkhead-restore-master');
    const refused = new Set(res.error.map((e) => e.documentId));
    for (const r of rows)
      if (!refused.has(`${r.document.itemId}|0`)) {
        const seq = (r.document.docData as Doc)['seq'];
        restored.push({ id: r.document.itemId, seq: typeof seq === 'number' ? seq : 0 });
      }
    todo = todo.filter((d) => refused.has(`${String(d[primary])}|0`));
  }
  return restored;
}
