/**
 * `npm test`: every gate in order — format, lint, type-check of every process, unit,
 * integration (PGlite, and PostgreSQL when DATABASE_URL is set), end-to-end in Chromium.
 * Prints a summary and exits non-zero if any step failed.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { playwrightCounts, vitestCounts, type Counts } from './test-counts.js';

type Step = {
  name: string;
  cmd: string[];
  counts?: () => Counts | null;
  /** Where a Playwright step writes its JSON report (read back for the counts). */
  json?: string;
  env?: Record<string, string>;
  /**
   * Consecutive steps of one group run at the same time (read-only checks that each keep one
   * core busy); their output is printed step by step once all of them ended.
   */
  group?: string;
};

// Absolute: Playwright resolves PLAYWRIGHT_JSON_OUTPUT_NAME against the config file's folder.
const out = path.resolve('.tsbuild/test-results');
rmSync(out, { recursive: true, force: true });

const steps: Step[] = [
  { name: 'format', cmd: ['npx', 'prettier', '--check', '--log-level', 'warn', '.'], group: 'static' },
  { name: 'lint', cmd: ['npx', 'eslint', '--max-warnings', '0', '.'], group: 'static' },
  { name: 'typecheck', cmd: ['npx', 'tsc', '-b'], group: 'static' },
  { name: 'security (electron)', cmd: ['npx', 'tsx', 'scripts/security-electron.ts'] },
  { name: 'packaging', cmd: ['npx', 'tsx', 'scripts/verify-packaging.ts'] },
  {
    name: 'unit',
    cmd: [
      'npx',
      'vitest',
      'run',
      '--project',
      'unit',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}/unit.json`,
    ],
    counts: vitestCounts(`${out}/unit.json`),
  },
  {
    name: 'integration',
    cmd: [
      'npx',
      'vitest',
      'run',
      '--project',
      'integration',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}/integration.json`,
    ],
    counts: vitestCounts(`${out}/integration.json`),
  },
  {
    name: 'e2e (chromium)',
    cmd: ['npx', 'playwright', 'test', '--project', 'chromium', '--reporter=list,json'],
    json: `${out}/e2e.json`,
    counts: playwrightCounts(`${out}/e2e.json`),
  },
  // The client data layer in Chromium against a live server, on both local storages.
  {
    name: 'client (both storages)',
    cmd: ['npx', 'playwright', 'test', '-c', 'tests/client/playwright.config.ts', '--reporter=list,json'],
    json: `${out}/client.json`,
    counts: playwrightCounts(`${out}/client.json`),
  },
  // Fault injection (issue #7): the deterministic replays of what the randomized schedules found,
  // then 20 randomized schedules from a fresh seed (printed; a failure names its seed, replay it
  // with RELIABILITY_SEEDS=<seed>). Issue #7 asks for at least 20 here; the full size is
  // `npm run test:soak` (200).
  {
    name: 'reliability (fault replays)',
    cmd: [
      'npx',
      'playwright',
      'test',
      '-c',
      'tests/reliability/playwright.config.ts',
      'regressions.spec.ts',
      '--reporter=list,json',
    ],
    json: `${out}/reliability.json`,
    counts: playwrightCounts(`${out}/reliability.json`),
  },
  {
    name: 'reliability (20 fault schedules)',
    cmd: [
      'npx',
      'playwright',
      'test',
      '-c',
      'tests/reliability/playwright.config.ts',
      'faults.spec.ts',
      '--reporter=dot,json',
    ],
    env: {
      RELIABILITY_SCHEDULES: '20',
      RELIABILITY_OUT: 'faults',
      RELIABILITY_RUN_ID: `npm-test-${Date.now()}`,
    },
    json: `${out}/faults.json`,
    counts: playwrightCounts(`${out}/faults.json`),
  },
  // Benchmarks never fail on a number; the quick run only keeps the suite working.
  { name: 'bench (quick smoke)', cmd: ['npx', 'tsx', 'scripts/bench.ts', '--quick'] },
  { name: 'bench:scale (quick smoke)', cmd: ['npx', 'tsx', 'scripts/bench-scale.ts', '--quick'] },
];

const only = process.argv.slice(2);
type Result = { name: string; ok: boolean; seconds: number; counts: Counts | null };
const results: Result[] = [];

/** Runs one step; `buffered` collects its output instead of passing it through. */
function run(step: Step, buffered: boolean): Promise<{ result: Result; output: string }> {
  const t0 = Date.now();
  const header = `\n━━ ${step.name}: ${step.cmd.join(' ')}`;
  if (!buffered) console.log(header);
  const child = spawn(step.cmd[0] ?? 'npx', step.cmd.slice(1), {
    stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: {
      ...process.env,
      ...(step.json ? { PLAYWRIGHT_JSON_OUTPUT_NAME: step.json } : {}),
      ...step.env,
      FORCE_COLOR: '0',
    },
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    const done = (code: number | null) =>
      resolve({
        result: {
          name: step.name,
          ok: code === 0,
          seconds: (Date.now() - t0) / 1000,
          counts: step.counts?.() ?? null,
        },
        output: buffered ? `${header}\n${Buffer.concat(chunks).toString()}` : '',
      });
    child.on('error', (e) => {
      chunks.push(Buffer.from(`${String(e)}\n`));
      done(null);
    });
    child.on('close', done);
  });
}

const chosen = steps.filter((step) => only.length === 0 || only.some((o) => step.name.startsWith(o)));
for (let i = 0; i < chosen.length;) {
  const group = chosen[i]?.group;
  let j = i + 1;
  while (group && j < chosen.length && chosen[j]?.group === group) j++;
  const batch = chosen.slice(i, j);
  const t0 = Date.now();
  const ran = await Promise.all(batch.map((step) => run(step, batch.length > 1)));
  for (const r of ran) {
    if (r.output) process.stdout.write(r.output);
    results.push(r.result);
  }
  if (batch.length > 1)
    console.log(
      `(${batch.map((b) => b.name).join(', ')} ran together: ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  i = j;
}

console.log('\n━━ summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  const c = r.counts ? ` (${r.counts.passed} passed, ${r.counts.failed} failed)` : '';
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(16)} ${r.seconds.toFixed(1).padStart(6)} s${c}`);
  if (r.counts) {
    passed += r.counts.passed;
    failed += r.counts.failed;
  } else if (r.ok) passed += 1;
  else failed += 1;
}
// The failed tests by name, last: CI keeps the tail of the output.
const failures = results.flatMap((r) => (r.counts?.failures ?? []).map((f) => `${r.name}: ${f}`));
if (failures.length > 0) {
  console.log('\n━━ failed tests');
  for (const f of failures.slice(0, 30)) console.log(`FAIL ${f.length > 2000 ? `${f.slice(0, 2000)}…` : f}`);
  if (failures.length > 30) console.log(`… and ${failures.length - 30} more (above)`);
}
const stepsFailed = results.filter((r) => !r.ok).length;
if (stepsFailed > 0 && failed === 0) failed = stepsFailed;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(stepsFailed === 0 ? 0 : 1);
