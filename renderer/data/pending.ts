import type { RxCollection } from 'rxdb';
import type { TenantDatabase } from './database.js';
import { queryStorage } from './storage/raw-read.js';

/** A local change the server has not taken yet. */
export type PendingDoc = {
  collection: 'items' | 'movements' | 'orders' | 'receipts';
  doc: Record<string, unknown>;
};

const EDITABLE = ['items', 'orders', 'receipts'] as const;

function hasPendingAudit(doc: Record<string, unknown>): boolean {
  return Array.isArray(doc['pendingAudit']) && doc['pendingAudit'].length > 0;
}

/**
 * Deleted documents of a collection, read from its storage: RxDB queries never return them, but a
 * delete made on this PC and not pushed yet is a change like any other (I6).
 */
function deletedDocs(collection: RxCollection<Record<string, unknown>>): Promise<Record<string, unknown>[]> {
  return queryStorage(collection, { _deleted: { $eq: true } });
}

/** Edited documents (items, orders, notices; live or deleted) whose audit entries are not pushed yet. */
export async function pendingEdits(db: TenantDatabase): Promise<PendingDoc[]> {
  const out: PendingDoc[] = [];
  for (const name of EDITABLE) {
    const collection = db.collections[name] as unknown as RxCollection<Record<string, unknown>>;
    const found = await collection.find({ selector: { pendingAudit: { $exists: true } } }).exec();
    const live = found.map((d) => d.toJSON() as Record<string, unknown>);
    for (const doc of [...live, ...(await deletedDocs(collection))])
      if (hasPendingAudit(doc)) out.push({ collection: name, doc: { ...doc } });
  }
  return out;
}

/**
 * Every change of the partition still waiting for the server: documents (live or deleted) that
 * carry an audit entry not pushed yet, and movements without a server sequence.
 */
export async function pendingChanges(db: TenantDatabase): Promise<PendingDoc[]> {
  const out = await pendingEdits(db);
  for (const d of await db.movements.find({ selector: { seq: 0 } }).exec()) {
    const doc = d.toJSON() as Record<string, unknown>;
    if (hasPendingAudit(doc)) out.push({ collection: 'movements', doc });
  }
  return out;
}

/**
 * Whether a partition may hold edits not pushed yet, remembered per partition on this PC: the
 * start-up scan of every document (a long main-thread task on a 100k-item tenant) only runs when
 * the last session left some. Without localStorage (tests, workers) the scan always runs.
 */
const MARK = 'bulkhead.pendingEdits.';
function marked(name: string): boolean {
  try {
    return globalThis.localStorage ? globalThis.localStorage.getItem(MARK + name) !== null : true;
  } catch {
    return true;
  }
}
function mark(name: string, on: boolean): void {
  try {
    if (on) globalThis.localStorage?.setItem(MARK + name, '1');
    else globalThis.localStorage?.removeItem(MARK + name);
  } catch {
    // storage full or unavailable: the next start scans
  }
}

/**
 * Keep count of the pending edits of an open partition (for the sync status): every write event
 * updates the set — a local edit adds its document, the server's version pulled back (no audit
 * entries left) removes it — and, when the last session left edits unpushed, one scan a moment
 * after opening (not in the way of the first screen) adds those. `onCount` is called at most every
 * `debounceMs`. Returns the stop function.
 */
export function trackPendingEdits(
  db: TenantDatabase,
  onCount: (n: number) => void,
  o: { scanAfterMs?: number; debounceMs?: number } = {},
): () => void {
  const pending = new Set<string>();
  // Documents an event reported before the scan finished: the event is newer than the scan.
  const touched = new Set<string>();
  const scan = marked(db.name);
  let scanned = !scan;
  let stopped = false;
  let queued: ReturnType<typeof setTimeout> | null = null;
  let flagged = scan;
  const emit = () => {
    queued ??= setTimeout(() => {
      queued = null;
      if (stopped) return;
      if (scanned && pending.size === 0 && flagged) {
        flagged = false;
        mark(db.name, false);
      }
      onCount(pending.size);
    }, o.debounceMs ?? 100);
  };
  const subs = EDITABLE.map((name) =>
    (db.collections[name] as unknown as RxCollection<Record<string, unknown>>).$.subscribe((ev) => {
      const key = `${name}|${ev.documentId}`;
      const doc = ev.documentData as Record<string, unknown> | undefined;
      if (doc && hasPendingAudit(doc)) {
        pending.add(key);
        if (!flagged) {
          flagged = true;
          mark(db.name, true);
        }
      } else pending.delete(key);
      if (!scanned) touched.add(key);
      emit();
    }),
  );
  const timer = scan
    ? setTimeout(() => {
        pendingEdits(db)
          .then((list) => {
            for (const p of list) {
              const key = `${p.collection}|${String(p.doc['id'])}`;
              if (!touched.has(key)) pending.add(key);
            }
            scanned = true;
            touched.clear();
            emit();
          })
          .catch(() => undefined); // the partition was closed meanwhile
      }, o.scanAfterMs ?? 1500)
    : null;
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (queued) clearTimeout(queued);
    for (const s of subs) s.unsubscribe();
  };
}
