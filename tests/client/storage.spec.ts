/**
 * Client data layer on each local storage (chunked IndexedDB, the default, and RxDB's Dexie): the
 * real renderer modules (api.ts, database.ts, schemas.ts, tenant-sync.ts) in Chromium against a
 * live server.
 * Parameterised by storage: every case runs on both.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { expect, test, type Page } from '@playwright/test';
import type { BulkheadHarness, StorageKind } from '../bench/browser/bulkhead-harness.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { loadTenant } from '../bench/data.js';

type W = { bh: BulkheadHarness };
const ITEMS = 3000;
let server: TestServer;
let dir: string;

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bh-client-'));
  await build({
    entryPoints: ['tests/bench/browser/bulkhead-harness.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    define: { 'import.meta.env.DEV': 'false' },
    outfile: path.join(dir, 'bulkhead.js'),
    logLevel: 'warning',
  });
  writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><script type="module" src="./bulkhead.js"></script>',
  );
  server = await startTestServer({ backend: 'pglite', seed: { itemsPerTenant: 0 }, staticDir: dir });
  await loadTenant(server.db, 'acme', ITEMS, new Date());
});

test.afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function harness(page: Page): Promise<void> {
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => 'bh' in globalThis);
}

for (const kind of ['dexie', 'chunked'] as StorageKind[]) {
  test.describe(`storage ${kind}`, () => {
    test('first sync pulls every item and balance; a local write survives a reload', async ({ page }) => {
      await harness(page);
      const first = await page.evaluate(
        ([k]) => (globalThis as unknown as W).bh.start(k, 'op.acme', 'acme'),
        [kind] as const,
      );
      expect(first.counts['items']).toBe(ITEMS);
      expect(first.counts['balances']).toBeGreaterThanOrEqual(ITEMS);
      // Durability without the server in the way: replication stopped, partition reopened locally.
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
      const local = (p: Page) =>
        p.evaluate(([k]) => (globalThis as unknown as W).bh.openLocal(k, 'u-op.acme', 'acme', 'operator'), [
          kind,
        ] as const);
      await local(page);
      const before = (await page.evaluate(() => (globalThis as unknown as W).bh.counts()))['movements'] ?? 0;
      // The write resolves only when the storage committed it; then the page goes away at once.
      await page.evaluate(() => (globalThis as unknown as W).bh.localWrites(1));
      await page.reload();
      await page.waitForFunction(() => 'bh' in globalThis);
      await local(page);
      const counts = await page.evaluate(() => (globalThis as unknown as W).bh.counts());
      expect(counts['items']).toBe(ITEMS);
      expect(counts['movements']).toBe(before + 1);
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
    });

    test('a burst of writes that triggers a log compaction loses none of them on reopen', async ({
      page,
    }) => {
      await harness(page);
      const open = (p: Page) =>
        p.evaluate(([k]) => (globalThis as unknown as W).bh.openLocal(k, 'u-op.acme', 'acme', 'operator'), [
          kind,
        ] as const);
      await page.evaluate(([k]) => (globalThis as unknown as W).bh.start(k, 'op.acme', 'acme'), [
        kind,
      ] as const);
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
      await open(page);
      const before = await page.evaluate(() => (globalThis as unknown as W).bh.counts());
      // More than 64 log records: the chunked storage compacts while the burst is still arriving.
      await page.evaluate(() => (globalThis as unknown as W).bh.burst(90));
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
      await page.reload();
      await page.waitForFunction(() => 'bh' in globalThis);
      await open(page);
      const after = await page.evaluate(() => (globalThis as unknown as W).bh.counts());
      expect(after).toEqual({ ...before, movements: (before['movements'] ?? 0) + 90 });
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
    });

    test('removing a partition (access lost, I7) leaves none of its IndexedDB databases', async ({
      page,
    }) => {
      await harness(page);
      await page.evaluate(([k]) => (globalThis as unknown as W).bh.start(k, 'mgr', 'acme'), [kind] as const);
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
      // Another partition of the same user must survive the purge.
      await page.evaluate(([k]) => (globalThis as unknown as W).bh.start(k, 'mgr', 'globex'), [
        kind,
      ] as const);
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
      const ofTenant = (names: string[], t: string) => names.filter((n) => n.includes(`__${t}--`));
      const before = await page.evaluate(() => (globalThis as unknown as W).bh.idbNames());
      expect(ofTenant(before, 'acme').length).toBeGreaterThan(0);
      const prefix = kind === 'chunked' ? 'bh-chunks-' : 'rxdb-dexie-';
      expect(ofTenant(before, 'acme').every((n) => n.startsWith(prefix))).toBe(true);
      await page.evaluate(([k]) => (globalThis as unknown as W).bh.remove(k, 'u-mgr', 'acme'), [
        kind,
      ] as const);
      const after = await page.evaluate(() => (globalThis as unknown as W).bh.idbNames());
      expect(ofTenant(after, 'acme')).toEqual([]);
      expect(ofTenant(after, 'globex')).toEqual(ofTenant(before, 'globex'));
      // Reopened afterwards, the partition is empty: nothing of the tenant stayed in the cache.
      await page.evaluate(([k]) => (globalThis as unknown as W).bh.openLocal(k, 'u-mgr', 'acme', 'manager'), [
        kind,
      ] as const);
      expect(await page.evaluate(() => (globalThis as unknown as W).bh.counts())).toEqual({
        items: 0,
        balances: 0,
        movements: 0,
      });
      await page.evaluate(() => (globalThis as unknown as W).bh.stop());
    });

    test('a crash in the middle of the first sync leaves a database that opens and resumes', async ({
      context,
    }) => {
      const page = await context.newPage();
      await harness(page);
      void page
        .evaluate(([k]) => (globalThis as unknown as W).bh.start(k, 'fin.acme', 'acme'), [kind] as const)
        .catch(() => undefined);
      // Wait until some, not all, items are local, then kill the page without any cleanup.
      await expect
        .poll(
          () =>
            page
              .evaluate(() => (globalThis as unknown as W).bh.counts().then((c) => c['items'] ?? 0))
              .catch(() => 0),
          { intervals: [20], timeout: 60_000 },
        )
        .toBeGreaterThan(0);
      const partial = await page
        .evaluate(() => (globalThis as unknown as W).bh.counts().then((c) => c['items'] ?? 0))
        .catch(() => 0);
      await page.close({ runBeforeUnload: false });

      const next = await context.newPage();
      await harness(next);
      const resumed = await next.evaluate(
        ([k]) => (globalThis as unknown as W).bh.start(k, 'fin.acme', 'acme'),
        [kind] as const,
      );
      expect(resumed.counts['items']).toBe(ITEMS);
      expect(resumed.counts['balances']).toBeGreaterThanOrEqual(ITEMS);
      test.info().annotations.push({ type: 'partial', description: `${partial} items before the crash` });
      await next.evaluate(() => (globalThis as unknown as W).bh.stop());
    });
  });
}

test.describe('chunked storage: early read at sign-in, changed-since without the index', () => {
  const user = 'u-op.acme';
  const local = (p: Page) =>
    p.evaluate(([u]) => (globalThis as unknown as W).bh.openLocal('chunked', u, 'acme', 'operator'), [
      user,
    ] as const);
  const counts = (p: Page) => p.evaluate(() => (globalThis as unknown as W).bh.counts());
  const stop = (p: Page) => p.evaluate(() => (globalThis as unknown as W).bh.stop());
  const prefetch = (p: Page) =>
    p.evaluate(([u]) => (globalThis as unknown as W).bh.prefetch(u, 'acme'), [user] as const);

  async function synced(page: Page): Promise<Record<string, number>> {
    await harness(page);
    await page.evaluate(() => (globalThis as unknown as W).bh.start('chunked', 'op.acme', 'acme'));
    await stop(page);
    const c = await local(page).then(() => counts(page));
    await stop(page);
    await page.reload();
    await page.waitForFunction(() => 'bh' in globalThis);
    return c;
  }

  test('an open after the early read uses the documents that read parsed', async ({ page }) => {
    const before = await synced(page);
    expect(before['items']).toBe(ITEMS);
    await prefetch(page);
    // Emptied behind the storage's back after the read: only the read can still hold the items.
    await page.evaluate(([u]) => (globalThis as unknown as W).bh.clearLogBehindStorage(u, 'acme', 'items'), [
      user,
    ] as const);
    await local(page);
    expect(await counts(page)).toEqual(before);
    await stop(page);
  });

  test('a partition removed after the early read opens empty (the read is dropped, I7)', async ({ page }) => {
    await synced(page);
    await prefetch(page);
    await page.evaluate(([u]) => (globalThis as unknown as W).bh.remove('chunked', u, 'acme'), [
      user,
    ] as const);
    await local(page);
    expect(await counts(page)).toEqual({ items: 0, balances: 0, movements: 0 });
    await stop(page);
  });

  test('writes made while the partition is open are not hidden by an earlier read on reopen', async ({
    page,
  }) => {
    const before = await synced(page);
    await local(page);
    // Asked while the partition is open: no read of it may stand in for the log after these writes.
    await prefetch(page);
    await page.evaluate(() => (globalThis as unknown as W).bh.localWrites(3));
    await page.evaluate(() => (globalThis as unknown as W).bh.burst(90));
    await stop(page);
    await local(page);
    expect(await counts(page)).toEqual({ ...before, movements: (before['movements'] ?? 0) + 93 });
    await stop(page);
  });

  test("replication's changed-since answers as RxDB's indexed query, by scan and past the scan limit", async ({
    page,
  }) => {
    await synced(page);
    await local(page);
    await page.evaluate(() => (globalThis as unknown as W).bh.localWrites(5));
    // Few documents after these checkpoints (scan) first; then ones with more than the scan limit
    // of 2,000 after them (answered from the index, which that builds).
    const items = await page.evaluate(
      ([n]) => (globalThis as unknown as W).bh.changedSince('items', 100, [n - 1, n - 40, n - 1500, 0, -1]),
      [ITEMS] as const,
    );
    expect(items.storage.map((r) => r.ids.length)).toEqual([0, 39, 100, 100, 100]);
    expect(items.storage).toEqual(items.query);
    const movements = await page.evaluate(() =>
      (globalThis as unknown as W).bh.changedSince('movements', 3, [-1, 0, 2, 4]),
    );
    expect(movements.storage.map((r) => r.ids.length)).toEqual([3, 3, 2, 0]);
    expect(movements.storage).toEqual(movements.query);
    await stop(page);
  });

  test('paging through changed-since as replication does returns each change once, a new write too', async ({
    page,
  }) => {
    await synced(page);
    await local(page);
    await page.evaluate(() => (globalThis as unknown as W).bh.localWrites(7));
    const items = await page.evaluate(
      ([n]) => (globalThis as unknown as W).bh.changedPages('items', 100, n - 1200, false),
      [ITEMS] as const,
    );
    expect(items.paged.length).toBe(1199);
    expect(items.paged).toEqual(items.expected);
    // A movement written after the first page (the scan kept for paging is stale then) still comes.
    const movements = await page.evaluate(() =>
      (globalThis as unknown as W).bh.changedPages('movements', 2, -1, true),
    );
    expect(movements.paged.length).toBe(8);
    expect(movements.paged).toEqual(movements.expected);
    await stop(page);
  });
});
