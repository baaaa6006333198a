/**
 * Bench-only: built into a second copy of the app in place of `rxdb/plugins/storage-dexie`, so
 * the unchanged renderer runs on the chunked IndexedDB storage (what `database.ts` would do).
 */
import { getChunkedIdbStorage } from '../../../renderer/data/storage/chunked-idb.js';

export const getRxStorageDexie = () => getChunkedIdbStorage();
