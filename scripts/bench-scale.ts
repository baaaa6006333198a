/**
 * `npm run bench:scale` — a tenant with 100,000 items and 500,000 movements (≈ 400,000 balances)
 * measured where users feel it: the server's reports, the first sync, and the main screens of the
 * built app in Chromium (time to first rendered rows, search/filter, scroll, JS heap, and the
 * longest main-thread task of each step). Prints every figure and rewrites the "Large tenant"
 * section of docs/benchmarks.md. `--quick` runs the same steps on 2,000 items (the smoke) and
 * writes to .tsbuild/bench-scale/ only. `--items=N` sets the size. Never fails on a number; only on
 * a broken harness or a screen that never shows its rows.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { filterRows, type InventoryRow } from '../renderer/features/inventory/model.js';
import { MOVEMENT_HORIZON_DAYS } from '../server/sync/service.js';
import {
  login,
  postgresUnavailableReason,
  startTestServer,
  type TestServer,
} from '../tests/helpers/server.js';
import {
  appStart,
  bhStart,
  bhStop,
  harnessPage,
  heapMb,
  launch,
  newContext,
  searchOnce,
} from '../tests/bench/browser-bench.js';
import { benchItem } from '../tests/bench/data.js';
import type { Metric } from '../tests/bench/report.js';
import { loadScaleTenant } from '../tests/bench/scale-data.js';
import { analyzeTables } from '../tests/bench/server-bench.js';
import {
  longestTask,
  observeLongTasks,
  scrollThrough,
  timeAction,
  type Timing,
} from '../tests/bench/scale-browser.js';
import { renderScaleSection } from '../tests/bench/scale-report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
const itemsArg = process.argv.find((a) => a.startsWith('--items='))?.slice('--items='.length);
const N = itemsArg ? Number(itemsArg) : quick ? 2_000 : 100_000;
if (!Number.isInteger(N) || N < 100) throw new Error('--items must be an integer ≥ 100');
const ROUNDS = quick ? 2 : 5;

const metrics: Metric[] = [];
const started = Date.now();
const log = (s: string) =>
  console.log(`[scale ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
function add(m: Metric) {
  metrics.push(m);
  log(`${m.name}: ${m.value} ${m.unit}${m.target ? ` — target ${m.target}${m.ok ? '' : ' (missed)'}` : ''}`);
}
const FIRST_ROWS = '≤ 1,000 ms, no task > 200 ms';
const FILTER = '≤ 100 ms, no task > 200 ms';
/** A screen step as a figure: time to ready, with the longest task in the detail and the verdict. */
function screen(name: string, t: Timing, target: string, limitMs: number, extra = '') {
  add({
    name,
    value: Math.round(t.ms),
    unit: 'ms',
    target,
    ok: t.ms <= limitMs && t.longestTaskMs <= 200,
    detail: `longest main-thread task ${Math.round(t.longestTaskMs)} ms${extra ? `; ${extra}` : ''}`,
  });
}
/** Several timings of one step: the p95 (and the worst task over all). */
function screenP95(name: string, ts: Timing[], target: string, limitMs: number, extra = '') {
  const ms = pct(
    ts.map((t) => t.ms),
    95,
  );
  const task = Math.max(...ts.map((t) => t.longestTaskMs));
  add({
    name,
    value: r1(ms),
    unit: 'ms',
    target,
    ok: ms <= limitMs && task <= 200,
    detail: `p50 ${r1(
      pct(
        ts.map((t) => t.ms),
        50,
      ),
    )} ms over ${ts.length}; longest main-thread task ${Math.round(task)} ms${extra ? `; ${extra}` : ''}`,
  });
}

/**
 * Runs one screen's steps; a step that breaks (a screen that never shows its rows) is recorded as
 * a missed figure with the reason, and the run goes on to the next screen.
 */
async function step(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]?.slice(0, 160) ?? '';
    add({ name: `${name}: did not finish`, value: NaN, unit: '', ok: false, detail: why });
  }
}

async function buildPages(staticDir: string): Promise<void> {
  rmSync(staticDir, { recursive: true, force: true });
  await viteBuild({
    configFile: path.join(root, 'vite.renderer.config.ts'),
    logLevel: 'warn',
    build: { outDir: staticDir, emptyOutDir: true },
  });
  const bench = path.join(staticDir, 'bench');
  mkdirSync(bench, { recursive: true });
  await esbuild({
    entryPoints: [path.join(root, 'tests/bench/browser/bulkhead-harness.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    define: { 'import.meta.env.DEV': 'false' },
    outfile: path.join(bench, 'bulkhead.js'),
    logLevel: 'warning',
  });
  writeFileSync(
    path.join(bench, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="./bulkhead.js"></script>',
  );
}

/** Median time of `rounds` GETs of a report as `token` (ms), and the rows of the last answer. */
async function timeReport(url: string, token: string, p: string, rounds: number) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    rows = ((await res.json()) as { rows: unknown[] }).rows.length;
    times.push(performance.now() - t0);
  }
  return { ms: pct(times, 50), rows };
}

const tab = (text: string) => ({ kind: 'click' as const, selector: 'nav.tabs button', text });

async function main(): Promise<void> {
  const out = path.join(root, '.tsbuild/bench-scale');
  const staticDir = path.join(out, 'static');
  log(`mode ${quick ? 'quick' : 'full'}: ${N} items, ${5 * N} movements`);
  await buildPages(staticDir);
  const pgReason = await postgresUnavailableReason();
  const backend = pgReason === null ? 'postgres' : 'pglite';
  if (pgReason) log(`PostgreSQL unavailable (${pgReason}); server on PGlite`);
  const now = new Date();
  let server: TestServer | undefined;
  const browser = await launch();
  try {
    server = await startTestServer({ backend, seed: { itemsPerTenant: 0 }, staticDir });
    const t0 = performance.now();
    const big = await loadScaleTenant(server.db, 'acme', N, now);
    // Statistics as autovacuum would keep them (this machine's PostgreSQL runs without it).
    await analyzeTables(server.db);
    log(
      `acme on ${backend}: ${big.items} items, ${big.movements} movements, ${big.balances} balances in ${Math.round((performance.now() - t0) / 1000)} s`,
    );

    // --- server: reports over the big tenant, as the manager (median of 3) ---
    const token = (await login(server.url, 'mgr')).accessToken;
    const reports: [string, string][] = [
      ['inventory on hand (by item)', '/api/t/acme/reports/inventory'],
      ['inventory on hand, one SKU', `/api/t/acme/reports/inventory?sku=${big.sampleSku}`],
      ['inventory by expiry (30 days)', '/api/t/acme/reports/inventory-by-expiry?days=30'],
      ['stock by location', '/api/t/acme/reports/stock-by-location'],
      ['movement history (last 30 days)', '/api/t/acme/reports/movements'],
      ['movement history, one SKU', `/api/t/acme/reports/movements?sku=${benchItem('acme', 90).sku}`],
      ['movements per day (dashboard)', '/api/t/acme/reports/movements-daily'],
      ['cross-tenant inventory (acme + globex)', '/api/reports/inventory?tenants=acme,globex'],
    ];
    for (const [name, p] of reports) {
      const r = await timeReport(server.url, token, p, 3);
      add({
        name: `server report: ${name}`,
        value: Math.round(r.ms),
        unit: 'ms',
        target: '≤ 1,000 ms',
        ok: r.ms <= 1000,
        detail: `median of 3 over HTTP (${backend}, RLS); ${r.rows} rows returned`,
      });
    }

    // --- client: first sync of the whole tenant (the data layer harness) ---
    const ctx = await newContext(browser);
    await observeLongTasks(ctx);
    const harness = await harnessPage(ctx, `${server.url}/bench/`, 'bh');
    const first = await bhStart(harness, 'chunked', 'mgr', 'acme');
    const docs = Object.values(first.counts).reduce((a, b) => a + b, 0);
    add({
      name: `first sync of the tenant (items, balances, movements)`,
      value: r1(first.ms / 1000),
      unit: 's',
      detail: `${JSON.stringify(first.counts)}; ${Math.round(docs / (first.ms / 1000))} docs/s (informative: no target)`,
    });
    // What a PC holds (issue #5): every item, the non-zero balances, the movements of the last
    // MOVEMENT_HORIZON_DAYS days (the open order has none).
    const held = {
      items: N,
      balances: Number(
        (
          await server.db
            .selectFrom('balances')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('tenant_id', '=', 'acme')
            .where('quantity', '<>', 0)
            .executeTakeFirstOrThrow()
        ).n,
      ),
      movements: Number(
        (
          await server.db
            .selectFrom('movements')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('tenant_id', '=', 'acme')
            .where('received_at', '>=', new Date(Date.now() - MOVEMENT_HORIZON_DAYS * 86_400_000))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    };
    log(`the PC should hold ${JSON.stringify(held)}`);
    if (
      first.counts['items'] !== held.items ||
      first.counts['balances'] !== held.balances ||
      first.counts['movements'] !== held.movements
    )
      throw new Error(`first sync got ${JSON.stringify(first.counts)}, expected ${JSON.stringify(held)}`);
    const heapSync = await heapMb(harness);
    add({
      name: 'JS heap after first sync (data layer only)',
      value: Math.round(heapSync),
      unit: 'MB',
      target: '≤ 300 MB',
      ok: heapSync <= 300,
      detail: 'harness page, after forced GC',
    });
    await bhStop(harness);
    await harness.close();

    // --- the real app on the synced partition ---
    const app = await appStart(ctx, `${server.url}/`, 'mgr', N);
    const page = app.page;
    // Issue #8's app start: the app's own time, loading to a sign-in form that takes input plus
    // submitting it to the usable grid (not the harness typing in between), target ≤ 2 s; and no
    // main-thread task over 200 ms from submitting (the screens' freeze target).
    const appMs = app.formReady + app.fromSignIn;
    const startTask = await longestTask(page, app.fromNavigation - app.fromSignIn, app.fromNavigation);
    add({
      name: 'app start to the first rendered inventory rows',
      value: Math.round(appMs),
      unit: 'ms',
      target: '≤ 2,000 ms, no task > 200 ms',
      ok: appMs <= 2000 && startTask <= 200,
      detail:
        `longest main-thread task ${Math.round(startTask)} ms; ${Math.round(app.formReady)} ms to the sign-in ` +
        `form + ${Math.round(app.fromSignIn)} ms from submitting it (${Math.round(app.fromNavigation)} ms from ` +
        `navigation with the harness typing); steps after submitting: ${app.steps}`,
    });
    const heapStart = await heapMb(page);
    add({
      name: 'app JS heap with the tenant open',
      value: Math.round(heapStart),
      unit: 'MB',
      target: '≤ 300 MB',
      ok: heapStart <= 300,
      detail: 'inventory screen, after forced GC',
    });
    const rows: InventoryRow[] = Array.from({ length: N }, (_, i) => {
      const it = benchItem('acme', i + 1);
      return { ...it, uom: 'pcs', purchasePrice: undefined, onHand: 0, includesPending: false };
    });
    const searches: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const q = ['ACME-0012', 'Valve 12', 'gasket 9'][i % 3] ?? 'ACME';
      searches.push(await searchOnce(page, q, filterRows(rows, q).length));
      await searchOnce(page, '', N);
    }
    add({
      name: 'inventory search to rendered result, p95',
      value: r1(pct(searches, 95)),
      unit: 'ms',
      target: '≤ 100 ms',
      ok: pct(searches, 95) <= 100,
      detail: `p50 ${r1(pct(searches, 50))} ms`,
    });
    const invScroll = await scrollThrough(page, '[data-testid="inventory-scroller"]', 60);
    add({
      name: 'inventory grid: scroll top to bottom in 60 frames, worst frame',
      value: Math.round(invScroll.worstFrameMs),
      unit: 'ms',
      target: '≤ 200 ms',
      ok: invScroll.worstFrameMs <= 200,
      detail: `longest task ${Math.round(invScroll.longestTaskMs)} ms; ${invScroll.rows} rows in the DOM`,
    });

    // Floor: expiry & low stock.
    await step('expiry & low stock', async () => {
      const stock = await timeAction(page, tab('Expiry & low stock'), {
        selector: '[data-testid="low-stock-view"][data-count], [data-testid="expiry-view"][data-count]',
        min: 2,
      });
      const expiryRows = await page.getAttribute('[data-testid="expiry-view"]', 'data-count');
      const lowRows = await page.getAttribute('[data-testid="low-stock-view"]', 'data-count');
      screen(
        'floor, expiry & low stock: first rows',
        stock,
        FIRST_ROWS,
        1000,
        `${expiryRows} batches expiring in 30 days (expected ${big.expiring30}), ${lowRows} items below minimum (expected ${big.lowStock})`,
      );
      const windows: Timing[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        for (const d of ['7', '30']) {
          windows.push(
            await timeAction(
              page,
              { kind: 'select', selector: 'select[name="expiry-window"]', value: d },
              { selector: `[data-testid="expiry-view"][data-window="${d}"][data-count]` },
            ),
          );
        }
      }
      screenP95('floor, expiry window 7 ↔ 30 days: filter to rendered rows, p95', windows, FILTER, 100);
      const stockScroll = await scrollThrough(page, '[data-testid="expiry-scroller"]', 60).catch(() => null);
      if (stockScroll)
        add({
          name: 'floor, expiring batches: scroll top to bottom in 60 frames, worst frame',
          value: Math.round(stockScroll.worstFrameMs),
          unit: 'ms',
          target: '≤ 200 ms',
          ok: stockScroll.worstFrameMs <= 200,
          detail: `longest task ${Math.round(stockScroll.longestTaskMs)} ms; ${stockScroll.rows} rows in the DOM`,
        });
    });
    // Floor: outbound, FEFO suggestion for the open order's line.
    await step('outbound', async () => {
      await timeAction(page, tab('Outbound'), {
        selector: '[data-testid="orders"] button',
        text: big.order.number,
      });
      const fefo = await timeAction(
        page,
        { kind: 'click', selector: '[data-testid="orders"] button', text: big.order.number },
        { selector: '[data-testid="suggestion"] .suggest' },
      );
      screen('floor, outbound: open an order to its FEFO pick suggestion', fefo, FIRST_ROWS, 1000);
    });
    // Reports: inventory on hand (the default), movement history, the in-table search, scroll.
    await step('reports', async () => {
      const inv = await timeAction(page, tab('Reports'), {
        selector: '[data-testid="report-table"][data-report="inventory"] tbody tr',
      });
      screen('reports, inventory on hand: first rows', inv, FIRST_ROWS, 1000);
      const mv = await timeAction(
        page,
        { kind: 'select', selector: '[data-testid="report-select"]', value: 'movements' },
        { selector: '[data-testid="report-table"][data-report="movements"] td[data-column="type"]' },
      );
      screen('reports, movement history (30 days): first rows', mv, FIRST_ROWS, 1000);
      const reportSearch: Timing[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        // SKUs of items moved on the newest day (every 90th item): the capped ledger holds them.
        const q = ['ACME-0012', 'ACME-0009', 'ACME-0018'][i % 3] ?? 'ACME';
        reportSearch.push(
          await timeAction(
            page,
            { kind: 'type', selector: '.reports input[type="search"]', value: q },
            { selector: '[data-testid="report-table"] tbody tr[data-index="0"]', text: q },
          ),
        );
        await timeAction(
          page,
          { kind: 'type', selector: '.reports input[type="search"]', value: '' },
          { selector: '[data-testid="report-count"]', attr: ['data-filtered', 'false'] },
        );
      }
      screenP95('reports, movement history: search in the table, p95', reportSearch, FILTER, 100);
      const repScroll = await scrollThrough(page, '.reports .table-scroll', 60);
      add({
        name: 'reports, movement history: scroll top to bottom in 60 frames, worst frame',
        value: Math.round(repScroll.worstFrameMs),
        unit: 'ms',
        target: '≤ 200 ms',
        ok: repScroll.worstFrameMs <= 200,
        detail: `longest task ${Math.round(repScroll.longestTaskMs)} ms; ${repScroll.rows} rows in the DOM`,
      });
    });
    // Dashboard: every panel loaded.
    await step('dashboard', async () => {
      const dash = await timeAction(page, tab('Dashboard'), {
        selector: '.dashboard-panel',
        min: 4,
        absent: '.dashboard-panel[data-state="loading"]',
      });
      screen('dashboard: every panel drawn', dash, FIRST_ROWS, 1000);
    });
    const heapEnd = await heapMb(page);
    add({
      name: 'app JS heap after visiting every screen',
      value: Math.round(heapEnd),
      unit: 'MB',
      target: '≤ 300 MB',
      ok: heapEnd <= 300,
      detail: 'after forced GC',
    });
    await ctx.close();
  } finally {
    await browser.close();
    await server?.close();
  }

  const run = {
    mode: quick ? 'quick' : `full, ${N} items`,
    at: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'scale-results.json'), `${JSON.stringify({ run, metrics }, null, 2)}\n`);
  const md = path.join(root, 'docs/benchmarks.md');
  const target = quick || itemsArg ? path.join(out, 'benchmarks.md') : md;
  const existing = existsSync(md) ? readFileSync(md, 'utf8') : '';
  writeFileSync(target, renderScaleSection(existing, INTRO, run, metrics));
  log(
    `done in ${run.seconds} s → ${path.relative(root, target)}, ${path.relative(root, out)}/scale-results.json`,
  );
}

const INTRO = `\`npm run bench:scale\` loads one tenant (\`acme\`) with 100,000 items and 500,000 movements
(receipt → put-away → transfer → pick → ship per item, over 90 days; every fourth item batch- and
expiry-tracked, every hundredth below its minimum stock) and the 400,000 balances the server
derives from them (\`tests/bench/scale-data.ts\`), then measures the server's reports over HTTP as
the manager, the client's first sync (which takes every item, the non-zero balances and the movements
of the last 7 days), and the main screens of the built app in Chromium as the
manager: time from the user's action to rendered rows (\`requestAnimationFrame\` polling), the
longest main-thread task in that window (Long Tasks API; the "no freeze > 200 ms" target), scroll
(one scroll step per frame, worst frame), and the JS heap after forced GC. Targets: first rows
≤ 1 s, search/filter ≤ 100 ms, no task > 200 ms. It reports; it never fails on a number.
\`npm run bench:scale -- --quick\` runs the same steps on 2,000 items (~1 min) into
\`.tsbuild/bench-scale/\` only.`;

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
