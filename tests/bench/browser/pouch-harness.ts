/**
 * Benchmark harness page for the peer: PouchDB (browser build, IndexedDB adapter `idb`) in the
 * same Chromium, replicating from express-pouchdb. Served by the peer server (same origin).
 */
import PouchDB from 'pouchdb-browser';

type Replication = ReturnType<typeof PouchDB.replicate>;

type Doc = { _id: string; [k: string]: unknown };

const remote = (name: string) => new PouchDB<Doc>(`${location.origin}/db/${name}`);
const local = (name: string) => new PouchDB<Doc>(`peer-${name}`, { adapter: 'idb' });

/** One-shot replication of every database named, in parallel; resolves when all finished. */
async function firstSync(names: string[], batchSize: number): Promise<{ ms: number; counts: number[] }> {
  const t0 = performance.now();
  await Promise.all(
    names.map((n) =>
      PouchDB.replicate(remote(n), local(n), { batch_size: batchSize, batches_limit: 5, retry: false }),
    ),
  );
  const ms = performance.now() - t0;
  const counts = await Promise.all(names.map(async (n) => (await local(n).info()).doc_count));
  return { ms, counts };
}

const seen = new Map<string, number>();
const syncs: Replication[] = [];

/** Live two-way sync of one database, noting when each change arrives locally. */
async function live(name: string): Promise<void> {
  const db = local(name);
  await PouchDB.replicate(remote(name), db, { batch_size: 1000 });
  syncs.push(db.sync(remote(name), { live: true, retry: true, batch_size: 100 }));
  db.changes({ since: 'now', live: true }).on('change', (c) => {
    if (!seen.has(c.id)) seen.set(c.id, performance.timeOrigin + performance.now());
  });
}

async function put(name: string, doc: Doc): Promise<number> {
  const at = performance.timeOrigin + performance.now();
  await local(name).put(doc);
  return at;
}

async function localWrites(name: string, n: number): Promise<number[]> {
  const db = local(name);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await db.put({ _id: crypto.randomUUID(), type: 'receipt', quantity: 1, note: 'bench' });
    await db.put({ _id: crypto.randomUUID(), type: 'audit', action: 'create' });
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  return out;
}

async function arrivalOf(id: string, timeoutMs: number): Promise<number | null> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const at = seen.get(id);
    if (at !== undefined) return at;
    await new Promise((r) => setTimeout(r, 2));
  }
  return null;
}

function stop(): void {
  for (const s of syncs) s.cancel();
  syncs.length = 0;
}

const api = { firstSync, live, put, arrivalOf, localWrites, stop };
export type PouchHarness = typeof api;
(globalThis as unknown as { peer: PouchHarness }).peer = api;
