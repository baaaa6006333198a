import { createRxDatabase, type RxCollection, type RxJsonSchema } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { describe, expect, it } from 'vitest';

/*
 * Issue #7, the cause behind soak seeds 259441814 and 600445783 (master-record.ts realignRecords):
 * RxDB's downstream marks every copy it writes with `_meta.o` (its replication's hash and the
 * copy's revision height), so that a copy written by its pull whose record of the master never
 * landed (the page closed in between) is still taken for synced. RxDB 17.6's storage wrapper — the
 * collection's storage instance, which replication writes through — replaces the `_meta` of every
 * inserted document, so a first pull's copy never carries the mark, and such a copy is taken for a
 * local change for ever. This pins the behaviour: when an RxDB upgrade keeps `_meta` on insert,
 * this test fails, and the realign can be looked at again.
 */
type Doc = { id: string; name: string };
const schema: RxJsonSchema<Doc> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: { id: { type: 'string', maxLength: 40 }, name: { type: 'string' } },
  required: ['id', 'name'],
};

describe("RxDB's storage wrapper and the downstream's `_meta.o` mark", () => {
  it('drops the mark of an inserted document and keeps it on an update', async () => {
    const db = await createRxDatabase<{ docs: RxCollection<Doc> }>({
      name: `insertmeta${Date.now()}`,
      storage: getRxStorageMemory(),
      multiInstance: false,
    });
    try {
      await db.addCollections({ docs: { schema } });
      const instance = db.collections.docs.storageInstance;
      const mark = { _rev: 1, hash: 'replication-hash' };
      const inserted = await instance.bulkWrite(
        [
          {
            document: {
              id: 'a',
              name: 'pulled',
              _deleted: false,
              _attachments: {},
              _rev: '1-replication-hash',
              _meta: { lwt: 1, o: mark },
            },
          },
        ],
        'replication-downstream-test',
      );
      expect(inserted.error).toEqual([]);
      const [first] = await instance.findDocumentsById(['a'], true);
      expect(first?._meta).not.toHaveProperty('o');

      const updated = await instance.bulkWrite(
        [
          {
            previous: first,
            document: { ...first!, name: 'pulled again', _meta: { ...first!._meta, o: mark } },
          },
        ],
        'replication-downstream-test',
      );
      expect(updated.error).toEqual([]);
      const [second] = await instance.findDocumentsById(['a'], true);
      expect(second?._meta).toMatchObject({ o: mark });
    } finally {
      await db.remove();
    }
  });
});
