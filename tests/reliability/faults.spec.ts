/**
 * Fault injection: at least 20 seeded schedules in `npm test`, 200 in `npm run test:soak`
 * (RELIABILITY_SCHEDULES=n). Each schedule's seed is in its title and in every failure; replay one
 * with RELIABILITY_SEEDS=<seed>[,<seed>…]. RELIABILITY_BACKEND=postgres runs on PostgreSQL
 * (DATABASE_URL) instead of PGlite. Results go to .tsbuild/reliability/faults.json (soak.json for
 * RELIABILITY_OUT=soak).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { clientAssets } from './bundle.js';
import { planSchedule, runSchedule, type ScheduleResult } from './schedule.js';
import { startControlledServer, type ControlledServer } from './server-control.js';

const env = process.env;
const count = Math.max(1, Number(env['RELIABILITY_SCHEDULES'] ?? 20));
const base = Number(env['RELIABILITY_SEED'] ?? Math.floor(Math.random() * 1e9));
const seeds = env['RELIABILITY_SEEDS']
  ? env['RELIABILITY_SEEDS'].split(',').map((s) => Number(s.trim()))
  : Array.from({ length: count }, (_, i) => base + i);
const suite = env['RELIABILITY_OUT'] === 'soak' ? 'soak' : 'faults';
const backend = env['RELIABILITY_BACKEND'] === 'postgres' ? 'postgres' : 'pglite';

/** The commit the schedules ran on (a result names the code it judged). */
function commitOf(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

let server: ControlledServer | undefined;
let assets: Map<string, [string, string | Buffer]>;
const dir = '.tsbuild/reliability';
// One line per schedule, shared by every worker of this run (a failure restarts the worker).
const runFile = path.join(dir, `${suite}.${env['RELIABILITY_RUN_ID'] ?? process.pid}.jsonl`);
type Line = { ok: true; result: ScheduleResult } | { ok: false; seed: number };

test.beforeAll(async () => {
  test.setTimeout(300_000);
  mkdirSync(dir, { recursive: true });
  console.log(
    `[faults] ${seeds.length} schedule(s), seeds ${seeds[0]}…${seeds[seeds.length - 1]} on ${backend}`,
  );
  assets = await clientAssets();
  server = await startControlledServer({ backend, itemsPerTenant: 12 });
});

test.afterAll(async () => {
  await server?.close();
  const lines = existsSync(runFile)
    ? readFileSync(runFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
    : [];
  const results = lines.flatMap((l) => (l.ok ? [l.result] : []));
  const failed = lines.flatMap((l) => (l.ok ? [] : [l.seed]));
  const sum = (f: (r: ScheduleResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const faults: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
  const out = {
    suite,
    backend,
    schedules: results.length,
    seeds: results.map((r) => r.seed),
    failedSeeds: failed,
    operations: sum((r) => r.operations),
    faults,
    accepted: sum((r) => r.accepted),
    rejected: sum((r) => r.rejected),
    // Stale copies repaired at a reconnect (issue #7): they do not fail a schedule, but each is a
    // divergence whose cause is unknown — listed with its seed so it can be replayed.
    repairs: sum((r) => r.repairs.length),
    repaired: results.flatMap((r) =>
      r.repairs.map(
        (x) =>
          `${r.seed} ${x.username} ${x.tenantId}/${x.collection}/${x.id} ${x.record ? `seq ${x.localSeq} (RxDB's record restored)` : `seq ${x.localSeq}→${x.serverSeq}${x.pending ? ' (local entries)' : ''}${x.realigned ? " (RxDB's record realigned)" : ''}${x.settled ? ' (accepted movement settled)' : ''}`}`,
      ),
    ),
    ms: sum((r) => r.ms),
    passed: failed.length === 0 && results.length >= seeds.length,
    commit: commitOf(),
    writtenAt: new Date().toISOString(),
  };
  writeFileSync(path.join(dir, `${suite}.json`), `${JSON.stringify(out, null, 2)}\n`);
  console.log(
    `[faults] ${out.schedules} schedule(s) passed, ${failed.length} failed; ${out.operations} operations ` +
      `(${out.accepted} accepted, ${out.rejected} refused); faults ${JSON.stringify(faults)}; ${out.ms} ms`,
  );
  console.log(`[faults] seeds: ${out.seeds.join(',')}`);
  console.log(
    `[faults] repaired divergences: ${out.repairs}${out.repairs ? ` — ${out.repaired.join('; ')}` : ''}`,
  );
  if (failed.length)
    console.log(`[faults] FAILED seeds (replay with RELIABILITY_SEEDS=…): ${failed.join(',')}`);
});

// The plan alone (no browser): the same seed gives the same schedule, and the mix holds floor
// work — orders created, worked (picked, packed, shipped) and cancelled, notices created and
// received — besides movements and renames, by operators and by the manager of two tenants.
test('schedules are deterministic and mix floor work with movements', () => {
  const kinds = new Map<string, Set<string>>();
  for (let s = 0; s < 200; s++) {
    const plan = planSchedule(base + s);
    expect(planSchedule(base + s)).toEqual(plan);
    for (const step of plan.steps)
      if (step.kind === 'op') {
        const who = plan.clients[step.client]!.username;
        kinds.set(step.op, (kinds.get(step.op) ?? new Set()).add(who));
      }
  }
  for (const k of ['order-create', 'order-work', 'order-cancel', 'receipt-create', 'receive-line'])
    expect(kinds.get(k)?.has('mgr'), k).toBe(true);
  expect(kinds.get('order-work')?.has('op.acme')).toBe(true);
  for (const k of ['receipt', 'transfer', 'pick', 'rename', 'write-off-confirmed'])
    expect(kinds.has(k), k).toBe(true);
});

for (const seed of seeds) {
  test(`schedule seed ${seed}`, async ({ browser }) => {
    try {
      if (!server) throw new Error('no server');
      const r = await runSchedule(browser, server, assets, planSchedule(seed), (l) =>
        console.log(`[seed ${seed}] ${l}`),
      );
      appendFileSync(runFile, `${JSON.stringify({ ok: true, result: r } satisfies Line)}\n`);
    } catch (e) {
      appendFileSync(runFile, `${JSON.stringify({ ok: false, seed } satisfies Line)}\n`);
      console.log(`[faults] schedule seed ${seed} FAILED — replay with RELIABILITY_SEEDS=${seed}`);
      throw e;
    }
  });
}
