/**
 * `npm run test:soak`: the fault-injection schedules at full size — 200 by default
 * (`npm run test:soak -- 500` or RELIABILITY_SCHEDULES for more; RELIABILITY_SEED to pick the
 * first seed). Prints how many schedules ran and their seeds, writes .tsbuild/reliability/soak.json
 * and exits non-zero when any schedule failed (its seed is printed: replay it with
 * RELIABILITY_SEEDS=<seed> npx playwright test -c tests/reliability/playwright.config.ts faults).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const arg = process.argv.slice(2).find((a) => /^\d+$/.test(a));
const count = Number(arg ?? process.env['RELIABILITY_SCHEDULES'] ?? 200);
if (!Number.isInteger(count) || count < 1) throw new Error(`not a schedule count: ${arg}`);
const seed = process.env['RELIABILITY_SEED'] ?? String(Math.floor(Math.random() * 1e9));
// `npm run test:faults` (20 schedules) records as `faults`, the soak as `soak`.
const suite = process.argv.includes('--faults') ? 'faults' : 'soak';
const resultFile = `.tsbuild/reliability/${suite}.json`;

rmSync(resultFile, { force: true });
console.log(`soak: ${count} fault schedules from seed ${seed}`);
const run = spawnSync(
  'npx',
  ['playwright', 'test', '-c', 'tests/reliability/playwright.config.ts', 'faults.spec.ts', '--reporter=dot'],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      RELIABILITY_SCHEDULES: String(count),
      RELIABILITY_SEED: seed,
      RELIABILITY_OUT: suite,
      RELIABILITY_RUN_ID: `${suite}-${Date.now()}`,
    },
  },
);

type Soak = { schedules: number; seeds: number[]; failedSeeds: number[]; operations: number; ms: number };
let result: Soak | null = null;
try {
  result = JSON.parse(readFileSync(resultFile, 'utf8')) as Soak;
} catch {
  // reported below
}
if (!result) {
  console.error('soak: no result file was written');
  process.exit(1);
}
console.log(
  `soak: ${result.schedules} schedule(s) passed, ${result.failedSeeds.length} failed, ${result.operations} operations, ${Math.round(result.ms / 1000)} s`,
);
console.log(`soak: seeds ${result.seeds.join(',')}`);
if (result.failedSeeds.length) console.log(`soak: FAILED seeds ${result.failedSeeds.join(',')}`);
process.exit(run.status === 0 && result.failedSeeds.length === 0 && result.schedules >= count ? 0 : 1);
