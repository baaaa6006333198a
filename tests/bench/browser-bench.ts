/** Browser-side figures in Debian's Chromium (real IndexedDB), driven by Playwright. */
import { writeFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { BulkheadHarness, StorageKind } from './browser/bulkhead-harness.js';
import type { PouchHarness } from './browser/pouch-harness.js';

type W = { bh: BulkheadHarness; peer: PouchHarness };

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** A fresh browser profile (own IndexedDB). tsx compiles page functions with esbuild's `__name`. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  await ctx.addInitScript('globalThis.__name = (f) => f;');
  return ctx;
}

export async function harnessPage(ctx: BrowserContext, url: string, global: 'bh' | 'peer'): Promise<Page> {
  const page = await ctx.newPage();
  page.on('console', (m) => {
    const quiet = /Failed to load resource|RxDB Open Core|premium/.test(m.text());
    if (!quiet && (m.type() === 'error' || m.type() === 'warning'))
      console.log(`  [page ${m.type()}] ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction((g) => g in globalThis, global);
  return page;
}

/** JS heap in use after a full garbage collection, in MB (CDP). */
export async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize / 1024 / 1024;
}

export const rawIdb = (page: Page, n: number) =>
  page.evaluate(([n]) => (globalThis as unknown as W).bh.rawIdb(n, 1000, 2000), [n] as const);

export const bhStart = (page: Page, kind: StorageKind, user: string, tenant: string) =>
  page.evaluate(([k, u, t]) => (globalThis as unknown as W).bh.start(k, u, t), [kind, user, tenant] as const);

export const bhStop = (page: Page) => page.evaluate(() => (globalThis as unknown as W).bh.stop());

export const bhLocalWrites = (page: Page, n: number) =>
  page.evaluate(([n]) => (globalThis as unknown as W).bh.localWrites(n), [n] as const);

export const bhReopen = (page: Page, kind: StorageKind, user: string, tenant: string) =>
  page.evaluate(([k, u, t]) => (globalThis as unknown as W).bh.reopenAndRead(k, u, t), [
    kind,
    user,
    tenant,
  ] as const);

/** A→B: `n` movements recorded on A, each timed until it is in B's local database. */
export async function bhPropagation(a: Page, b: Page, n: number): Promise<number[]> {
  await b.evaluate(() => (globalThis as unknown as W).bh.watchMovements());
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const { id, at } = await a.evaluate(() => (globalThis as unknown as W).bh.recordMovement());
    const arrived = await b.evaluate(([id]) => (globalThis as unknown as W).bh.arrivalOf(id, 15_000), [
      id,
    ] as const);
    if (arrived === null) throw new Error(`movement ${id} never reached B`);
    out.push(arrived - at);
    await a.waitForTimeout(100);
  }
  return out;
}

export const peerFirstSync = (page: Page, names: string[], batch: number) =>
  page.evaluate(([n, b]) => (globalThis as unknown as W).peer.firstSync(n, b), [names, batch] as const);

export const peerLocalWrites = (page: Page, n: number) =>
  page.evaluate(([n]) => (globalThis as unknown as W).peer.localWrites('writes', n), [n] as const);

export async function peerPropagation(a: Page, b: Page, n: number): Promise<number[]> {
  await a.evaluate(() => (globalThis as unknown as W).peer.live('movements'));
  await b.evaluate(() => (globalThis as unknown as W).peer.live('movements'));
  await a.waitForTimeout(500);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = `m-${i}-${Date.now()}`;
    const at = await a.evaluate(
      ([id]) => (globalThis as unknown as W).peer.put('movements', { _id: id, type: 'receipt', quantity: 1 }),
      [id] as const,
    );
    const arrived = await b.evaluate(([id]) => (globalThis as unknown as W).peer.arrivalOf(id, 15_000), [
      id,
    ] as const);
    if (arrived === null) throw new Error(`peer movement ${id} never reached B`);
    out.push(arrived - at);
    await a.waitForTimeout(100);
  }
  await a.evaluate(() => (globalThis as unknown as W).peer.stop());
  await b.evaluate(() => (globalThis as unknown as W).peer.stop());
  return out;
}

// --- the real app (dist/renderer build) ---

const countText = (page: Page) =>
  page.evaluate(() => document.querySelector('[data-testid="inventory-count"]')?.textContent ?? '');

/**
 * App start for an already synced tenant: load the app, sign in, and wait until the grid shows
 * every item. Returns ms from navigation start and from submitting the sign-in form.
 */
export async function appStart(
  ctx: BrowserContext,
  url: string,
  user: string,
  total: number,
): Promise<{ page: Page; fromNavigation: number; fromSignIn: number; formReady: number; steps: string }> {
  const page = await ctx.newPage();
  await page.goto(url);
  // When the sign-in form could take input (the app's part before the user types).
  await page.getByLabel(/username/i).waitFor();
  const formReady = await page.evaluate(() => performance.now());
  if (process.env['BENCH_STEPS'])
    console.log(
      '[step] page load',
      JSON.stringify(
        await page.evaluate(() => {
          const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
          const r = performance
            .getEntriesByType('resource')
            .map((e) => [
              e.name.split('/').pop(),
              Math.round(e.startTime),
              Math.round(e.startTime + e.duration),
            ]);
          return {
            responseEnd: Math.round(n?.responseEnd ?? 0),
            domInteractive: Math.round(n?.domInteractive ?? 0),
            dcl: Math.round(n?.domContentLoadedEventEnd ?? 0),
            load: Math.round(n?.loadEventEnd ?? 0),
            resources: r,
            bulkhead: performance
              .getEntriesByType('measure')
              .filter((e) => e.name.startsWith('bulkhead:'))
              .map((e) => [e.name, Math.round(e.startTime), Math.round(e.duration)]),
          };
        }),
      ),
    );
  await page.getByLabel(/username/i).fill(user);
  await page.getByLabel(/password/i).fill('demo1234');
  // BENCH_PROFILE=<file>: a CPU profile (CDP) of the app start, from sign-in to usable grid.
  const profileTo = process.env['BENCH_PROFILE'];
  const cdp = profileTo ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  const submitAt = await page.evaluate(() => performance.now());
  await page.getByLabel(/password/i).press('Enter');
  const doneAt = await page
    .evaluate(
      ([total]) =>
        new Promise<number>((resolve, reject) => {
          const t0 = performance.now();
          const check = () => {
            const t = document.querySelector('[data-testid="inventory-count"]')?.textContent ?? '';
            const row = document.querySelector('[role="row"][data-sku]');
            if (t.endsWith(`of ${total} items`) && row) resolve(performance.now());
            else if (performance.now() - t0 > 180_000)
              reject(
                new Error(`no usable grid after 180 s: "${t}"; ${document.body.innerText.slice(0, 300)}`),
              );
            else requestAnimationFrame(check);
          };
          check();
        }),
      [total] as const,
    )
    .catch((e: unknown) => {
      throw new Error(`app start failed: ${String(e)}; page said: ${problems.slice(0, 5).join(' | ')}`);
    });
  if (cdp && profileTo) {
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(profileTo, JSON.stringify(profile));
    await cdp.detach();
  }
  const steps = await startSteps(page, submitAt, doneAt);
  return { page, fromNavigation: doneAt, fromSignIn: doneAt - submitAt, formReady, steps };
}

/**
 * Where an app start's time went, from the app's User Timing measures (`bulkhead:*`, see
 * renderer/data/storage/chunked-idb.ts) between `from` and `to`: per step kind the summed time
 * and the end of the last one (ms after `from`), e.g. `idb-result 412 ms (done +903)`.
 */
export async function startSteps(page: Page, from: number, to: number): Promise<string> {
  const entries = await page.evaluate(
    ([from, to]) =>
      performance
        .getEntriesByType('measure')
        .filter((e) => e.name.startsWith('bulkhead:') && e.startTime >= from && e.startTime <= to)
        .map((e) => ({
          name: e.name,
          start: e.startTime,
          duration: e.duration,
          busy: ((e as PerformanceMeasure).detail as { busy?: number } | null)?.busy,
        })),
    [from, to] as const,
  );
  // BENCH_STEPS=1: every measure on its own line too (start/end after `from`).
  if (process.env['BENCH_STEPS'])
    for (const e of entries)
      console.log(
        `[step] ${e.name.slice('bulkhead:'.length)} +${Math.round(e.start - from)}…+${Math.round(e.start + e.duration - from)}${e.busy !== undefined ? ` (busy ${e.busy})` : ''}`,
      );
  if (process.env['BENCH_STEPS'])
    for (const [start, duration] of await page.evaluate(
      () => (globalThis as { __longTasks?: [number, number][] }).__longTasks ?? [],
    ))
      if (start >= from && start <= to)
        console.log(`[step] long task +${Math.round(start - from)}…+${Math.round(start + duration - from)}`);
  const kinds = new Map<string, { ms: number; end: number }>();
  for (const e of entries) {
    const kind = e.name.slice('bulkhead:'.length).split(' ')[0] as string;
    const k = kinds.get(kind) ?? { ms: 0, end: 0 };
    // A parse that yields also waits for other tasks: count its own JSON.parse time.
    k.ms += e.busy ?? e.duration;
    k.end = Math.max(k.end, e.start + e.duration - from);
    kinds.set(kind, k);
  }
  return [...kinds]
    .map(([kind, k]) => `${kind} ${Math.round(k.ms)} ms (done +${Math.round(k.end)})`)
    .join(', ');
}

/** Click a tenant in the switcher and time until its grid shows all `total` rows' count and a row. */
export function switchTo(page: Page, tenant: string, prefix: string, total: number): Promise<number> {
  return page.evaluate(
    ([tenant, prefix, total]) =>
      new Promise<number>((resolve, reject) => {
        const btn = document.querySelector<HTMLButtonElement>(
          `.tenant-switcher button[data-tenant="${tenant}"]`,
        );
        if (!btn) return reject(new Error(`no switcher button for ${tenant}`));
        const t0 = performance.now();
        btn.click();
        const check = () => {
          const t = document.querySelector('[data-testid="inventory-count"]')?.textContent ?? '';
          const row = document.querySelector(`[role="row"][data-sku^="${prefix}-"]`);
          if (t.endsWith(`of ${total} items`) && row) resolve(performance.now() - t0);
          else if (performance.now() - t0 > 300_000) reject(new Error(`switch to ${tenant} timed out`));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
    [tenant, prefix, total] as const,
  );
}

/**
 * Until the app's sync status has shown no activity for 20 frames in a row: true, or false when it
 * was still active after `limitMs` (the caller goes on and says so).
 */
export async function syncIdle(page: Page, limitMs = 30_000): Promise<boolean> {
  return page.evaluate(
    (limit) =>
      new Promise<boolean>((resolve) => {
        const t0 = performance.now();
        let quiet = 0;
        const check = () => {
          quiet = document.querySelector('.sync-active') ? 0 : quiet + 1;
          if (quiet >= 20) resolve(true);
          else if (performance.now() - t0 > limit) resolve(false);
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
    limitMs,
  );
}

/**
 * Type a query into the grid's search box (as one input event) and time until the grid shows the
 * expected count and its first row contains the query.
 */
export async function searchOnce(page: Page, query: string, expectedShown: number): Promise<number> {
  const ms = await page.evaluate(
    ([q, expected]) =>
      new Promise<number>((resolve, reject) => {
        const input = document.querySelector<HTMLInputElement>('input[type="search"]');
        if (!input) return reject(new Error('no search box'));
        const desc = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
        const t0 = performance.now();
        desc?.set?.call(input, q);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        const check = () => {
          const t = document.querySelector('[data-testid="inventory-count"]')?.textContent ?? '';
          const row = document.querySelector('[role="row"][data-sku]');
          const rowOk =
            expected === 0 ? !row : (row?.textContent ?? '').toLowerCase().includes(q.toLowerCase());
          if (t.startsWith(`${expected} of`) && rowOk) resolve(performance.now() - t0);
          else if (performance.now() - t0 > 30_000) reject(new Error(`search ${q} timed out: ${t}`));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
    [query, expectedShown] as const,
  );
  return ms;
}

export { countText };
