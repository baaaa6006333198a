import { describe, expect, it } from 'vitest';
import type { MemoryStorageInternals } from 'rxdb/plugins/storage-memory';
import { dropFromState } from '../../../renderer/data/storage/chunked-idb.js';

type Doc = { id: string; itemId: string; seq: number };

/** A memory state holding `n` documents with two built indexes (by item, by seq), as RxDB keeps them. */
function state(n: number): MemoryStorageInternals<unknown> {
  const documents = new Map<string, Doc>();
  for (let i = 0; i < n; i++) {
    const id = `m${String(i).padStart(5, '0')}`;
    documents.set(id, { id, itemId: `item-${i % 7}`, seq: (i * 37) % n });
  }
  const index = (key: (d: Doc) => string) => {
    const getIndexableString = (d: Doc) => `${key(d)}|${d.id}`;
    const docsWithIndex = [...documents.values()]
      .map((d) => [getIndexableString(d), d, d.id] as [string, Doc, string])
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return { getIndexableString, docsWithIndex };
  };
  const byIndexArray = [index((d) => d.itemId), index((d) => String(d.seq).padStart(8, '0'))];
  return { documents, byIndexArray } as unknown as MemoryStorageInternals<unknown>;
}

const view = (s: MemoryStorageInternals<unknown>) => ({
  documents: [...s.documents.keys()].sort(),
  indexes: s.byIndexArray.map((b) => b.docsWithIndex.map((e) => e[2])),
});

describe('forgetting documents from a memory state (chunked storage)', () => {
  it('removes a few or many from the documents and from every built index, keeping index order', () => {
    for (const count of [3, 64, 65, 700]) {
      const ids = Array.from({ length: count }, (_, i) => `m${String((i * 13) % 1000).padStart(5, '0')}`);
      const unique = [...new Set(ids)];
      const s = state(1000);
      const before = view(s);
      dropFromState(s, [...ids, 'not-held']);
      const after = view(s);
      const gone = new Set(unique);
      expect(after.documents).toEqual(before.documents.filter((id) => !gone.has(id)));
      for (const [k, idx] of after.indexes.entries())
        expect(idx).toEqual(before.indexes[k]?.filter((id) => !gone.has(id)));
      expect(after.documents).toHaveLength(1000 - unique.length);
    }
  });
});
