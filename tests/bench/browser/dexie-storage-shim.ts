/**
 * Bench-only: built into a second copy of the app in place of `renderer/data/storage/chunked-idb`
 * (as `database.ts` imports it), so the unchanged renderer runs on RxDB's Dexie storage — the
 * storage the app shipped with before the chunked one became the default.
 */
import type { RxStorage } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';

export {
  chunkedIdbName,
  isChunkedIdbOf,
  removeChunkedIdbDatabases,
} from '../../../renderer/data/storage/chunked-idb.js';

export const getChunkedIdbStorage = (): RxStorage<unknown, unknown> => getRxStorageDexie();

/** Nothing to read ahead on Dexie: its open reads documents when queried. */
export const prefetchChunkedIdb = (): Promise<void> => Promise.resolve();
