/**
 * `npm test`: every gate in order — format, lint, type-check of every process, unit,
 * integration (PGlite, and PostgreSQL when DATABASE_URL is set), end-to-end in Chromium.
 * Prints a summary and exits non-zero if any step failed.
 */
import { spawnSync } from 'node:child_process';
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
};

// Absolute: Playwright resolves PLAYWRIGHT_JSON_OUTPUT_NAME against the config file's folder.
const out = path.resolve('.tsbuild/test-results');
rmSync(out, { recursive: true, force: true });

const steps: Step[] = [
  { name: 'format', cmd: ['npx', 'prettier', '--check', '--log-level', 'warn', '.'] },
  { name: 'lint', cmd: ['npx', 'eslint', '--max-warnings', '0', '.'] },
  { name: 'typecheck', cmd: ['npx', 'tsc', '-b'] },
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
  // with RELIABILITY_SEEDS=<seed>). The full size is `npm run test:soak` (200).
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
const results: {
  name: string;
  ok: boolean;
  seconds: number;
  counts: Counts | null;
}[] = [];
for (const step of steps) {
  if (only.length > 0 && !only.some((o) => step.name.startsWith(o))) continue;
  const t0 = Date.now();
  console.log(`\n━━ ${step.name}: ${step.cmd.join(' ')}`);
  const r = spawnSync(step.cmd[0] ?? 'npx', step.cmd.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...(step.json ? { PLAYWRIGHT_JSON_OUTPUT_NAME: step.json } : {}),
      ...step.env,
      FORCE_COLOR: '0',
    },
  });
  results.push({
    name: step.name,
    ok: r.status === 0,
    seconds: (Date.now() - t0) / 1000,
    counts: step.counts?.() ?? null,
  });
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
  for (const f of failures.slice(0, 30)) console.log(`FAIL ${f.length > 400 ? `${f.slice(0, 400)}…` : f}`);
  if (failures.length > 30) console.log(`… and ${failures.length - 30} more (above)`);
}
const stepsFailed = results.filter((r) => !r.ok).length;
if (stepsFailed > 0 && failed === 0) failed = stepsFailed;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(stepsFailed === 0 ? 0 : 1);
