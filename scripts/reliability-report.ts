/**
 * `npm run reliability:report`: writes docs/reliability.md from the JSON results the reliability
 * suites leave in .tsbuild/reliability/*.json (`{ suite, ...figures, seeds?, notes? }`): a summary,
 * then one section per suite with its figures as a key/value table, its seeds and its notes.
 * Any fields are rendered (nested objects flattened to dotted keys), so suites can add figures
 * without touching this script. Run it after `npm test` and/or `npm run test:load`.
 *
 *   --in <dir>    results folder (default .tsbuild/reliability)
 *   --out <file>  report (default docs/reliability.md)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';

const { values } = parseArgs({
  options: {
    in: { type: 'string', default: '.tsbuild/reliability' },
    out: { type: 'string', default: 'docs/reliability.md' },
  },
});

/** Suites in reading order; any others follow alphabetically. */
const ORDER = ['fuzz', 'faults', 'soak', 'load', 'load-short', 'db-faults', 'migrations'];
const TITLES: Record<string, string> = {
  fuzz: 'Bad input (fuzzing)',
  faults: 'Fault injection (npm run test:faults, 20 schedules)',
  soak: 'Soak (fault schedules at full size)',
  load: 'Load (npm run test:load)',
  'load-short': 'Load, short run inside npm test',
  'db-faults': 'Database faults (PostgreSQL restart, terminated connections)',
  migrations: 'Migrations',
};
const SPECIAL = new Set(['suite', 'seeds', 'notes', 'passed', 'writtenAt', 'repaired']);

type Result = { file: string; suite: string; data: Record<string, unknown> };

export function readResults(dir: string): Result[] {
  if (!existsSync(dir)) return [];
  const out: Result[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const file = path.join(dir, f);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      data = { notes: [`unreadable result file: ${e instanceof Error ? e.message : String(e)}`] };
    }
    const obj = typeof data === 'object' && data !== null && !Array.isArray(data) ? data : { value: data };
    const rec = obj as Record<string, unknown>;
    const suite = typeof rec.suite === 'string' && rec.suite ? rec.suite : f.replace(/\.json$/, '');
    out.push({ file: f, suite, data: rec });
  }
  const rank = (s: string): number => {
    const i = ORDER.indexOf(s);
    return i < 0 ? ORDER.length : i;
  };
  return out.sort((a, b) => rank(a.suite) - rank(b.suite) || a.suite.localeCompare(b.suite));
}

/** `{a: {b: 1}}` → `[['a.b', 1]]`; arrays of plain values stay whole. */
function flatten(obj: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const rows: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      rows.push(...flatten(v as Record<string, unknown>, key));
    else rows.push([key, v]);
  }
  return rows;
}

const plain = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
    ? String(v)
    : JSON.stringify(v);

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? '—' : Array.isArray(v) ? v.map(plain).join(', ') : plain(v);
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
};

/** When the suite wrote its result (suites name the field differently). */
const written = (d: Record<string, unknown>): unknown => d.writtenAt ?? d.generatedAt ?? d.finishedAt;

/**
 * Stale local copies the clients repaired at a reconnect (issue #7) in a suite of fault schedules:
 * each one a divergence that healed, its cause still to be found. Results written before the
 * repair existed carry no such field: not recorded (not zero).
 */
const repairs = (d: Record<string, unknown>): string =>
  d.schedules === undefined ? '—' : typeof d.repairs === 'number' ? String(d.repairs) : 'not recorded';

const status = (d: Record<string, unknown>): string =>
  d.passed === true ? 'passed' : d.passed === false ? '**FAILED**' : 'recorded';

/** A suite's heading; a second result file of one suite (another soak run) is named by its file. */
const title = (r: Result): string =>
  `${TITLES[r.suite] ?? r.suite}${r.file === `${r.suite}.json` ? '' : ` (${r.file})`}`;
const anchor = (r: Result): string => r.file.replace(/\.json$/, '');

/** `a ×3, b ×1`: how often each key occurs, most frequent first. */
const tally = (keys: string[]): string =>
  [...keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>())]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');

/** `<seed> <user> <tenant>/<collection>/<id> seq <from>→<to> (<how>)`, as the fault suite writes it. */
const REPAIR = /^(\d+) (\S+) ([^/\s]+)\/([^/\s]+)\/\S+ seq (\d+)→(\d+) \((.+)\)$/;

/** Up to this many repairs are listed one by one; more are summarised. */
const REPAIRS_LISTED = 10;

/**
 * The repairs of a fault-schedule run. A soak repairs hundreds of records, nearly all of them
 * RxDB's record realigned at the server's own sequence: those are counted (by schedule, user,
 * collection); every other repair (a sequence that moved, another kind, a line not understood) is
 * listed whole.
 */
export function repairLines(repaired: unknown): string[] {
  if (!Array.isArray(repaired) || repaired.length === 0) return [];
  const all = repaired.map(plain);
  if (all.length <= REPAIRS_LISTED) return ['', 'Repaired:', '', ...all.map((r) => `- ${cell(r)}`)];
  const routine: RegExpExecArray[] = [];
  const others: string[] = [];
  for (const r of all) {
    const m = REPAIR.exec(r);
    if (m && m[5] === m[6] && m[7] === "RxDB's record realigned") routine.push(m);
    else others.push(r);
  }
  const lines = [
    '',
    `Repaired (${all.length}): ${routine.length} of RxDB's records realigned at the server's own sequence, ${others.length} other.`,
    '',
    `- by schedule: ${tally(routine.map((m) => m[1] ?? ''))}`,
    `- by user: ${tally(routine.map((m) => m[2] ?? ''))}`,
    `- by collection: ${tally(routine.map((m) => `${m[3]}/${m[4]}`))}`,
  ];
  if (others.length > 0) lines.push('', 'Other repairs:', '', ...others.map((r) => `- ${cell(r)}`));
  return lines;
}

/**
 * The newest soak of each backend, by when it was written: older soak files stay as the record of
 * what each run found (failures included), so the reader is told which result stands for the code.
 */
export function latestSoaks(results: Result[]): string[] {
  const when = (r: Result): string => {
    const w = written(r.data);
    return typeof w === 'string' ? w : '';
  };
  const newest = new Map<string, Result>();
  for (const r of results) {
    if (r.suite !== 'soak') continue;
    const backend = typeof r.data.backend === 'string' ? r.data.backend : 'pglite';
    const prev = newest.get(backend);
    if (!prev || when(r) > when(prev)) newest.set(backend, r);
  }
  if (newest.size === 0) return [];
  const name = (b: string): string => (b === 'postgres' ? 'PostgreSQL' : b === 'pglite' ? 'PGlite' : b);
  return [
    'Newest soak on each backend (older soak files below are kept as the record of what each run found):',
    '',
    ...[...newest]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([b, r]) =>
          `- ${name(b)}: ${status(r.data)}, ${cell(r.data.schedules)} schedules at commit \`${cell(r.data.commit)}\`, written ${cell(written(r.data))} ([${r.file}](#${anchor(r)}))`,
      ),
    '',
  ];
}

/** Cells longer than this are listed under the table instead of in it. */
const LONG = 100;

export function render(
  results: Result[],
  meta: { commit: string; generatedAt: string; dir: string },
): string {
  const lines: string[] = [
    '<!-- Generated by `npm run reliability:report` (scripts/reliability-report.ts). Do not edit by hand: -->',
    `<!-- rerun the suites, then the command. Source: ${meta.dir}/*.json -->`,
    '',
    '# Reliability results',
    '',
    `Generated ${meta.generatedAt} at commit \`${meta.commit}\` by \`npm run reliability:report\` from the`,
    `JSON results the suites wrote to \`${meta.dir}/\` (\`npm test\` runs the fuzz, database-fault,`,
    'migration and short load suites; `npm run test:faults` 20 fault schedules, `npm run test:soak` 200,',
    '`npm run test:load` the 2-minute load). Every figure below comes from those files.',
    '',
    'Repairs (issue #7): divergences between a client and the server that the client healed itself and',
    "reported — a stale local copy brought up to the server's version at a reconnect, RxDB's record of",
    "a version realigned or restored, an accepted movement settled at the server's sequence",
    '(`docs/architecture.md` describes each). A run passes only when every copy ends equal to the server.',
    '',
    ...latestSoaks(results),
    '| Suite | Result | Repairs | Written | File |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of results)
    lines.push(
      `| [${cell(title(r))}](#${anchor(r)}) | ${status(r.data)} | ${repairs(r.data)} | ${cell(written(r.data))} | \`${r.file}\` |`,
    );
  for (const r of results) {
    const d = r.data;
    lines.push('', `<a id="${anchor(r)}"></a>`, '', `## ${title(r)}`, '');
    lines.push(`Suite \`${r.suite}\` — ${status(d)}; written ${cell(written(d))}.`, '');
    if (d.schedules !== undefined && typeof d.repairs !== 'number')
      lines.push('Repaired divergences (issue #7): not recorded (written before repairs were counted).', '');
    const rows = flatten(Object.fromEntries(Object.entries(d).filter(([k]) => !SPECIAL.has(k))));
    // Long values (notes, seed lists) go below the table: one wide cell widens every row.
    const short = rows.filter(([, v]) => cell(v).length <= LONG);
    const long = rows.filter(([, v]) => cell(v).length > LONG);
    if (short.length > 0) {
      lines.push('| Figure | Value |', '| --- | --- |');
      for (const [k, v] of short) lines.push(`| ${cell(k)} | ${cell(v)} |`);
    }
    if (long.length > 0) {
      lines.push('');
      for (const [k, v] of long) lines.push(`- \`${k}\`: ${cell(v)}`);
    }
    lines.push(...repairLines(d.repaired));
    const seeds = Array.isArray(d.seeds) ? d.seeds : d.seeds === undefined ? [] : [d.seeds];
    if (seeds.length > 0) {
      lines.push(
        '',
        `Seeds (${seeds.length}), to replay a run:`,
        '',
        '```',
        ...chunk(seeds.map(String), 10),
        '```',
      );
    }
    const notes = Array.isArray(d.notes) ? d.notes : d.notes === undefined ? [] : [d.notes];
    if (notes.length > 0) {
      lines.push('', 'Notes:', '');
      for (const n of notes) lines.push(`- ${cell(n)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function chunk(xs: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n).join(' '));
  return out;
}

async function main(): Promise<void> {
  const dir = values.in;
  const results = readResults(dir);
  if (results.length === 0) {
    console.error(`No results in ${dir}/: run \`npm test\` and/or \`npm run test:load\` first.`);
    process.exit(1);
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  const raw = render(results, { commit, generatedAt: new Date().toISOString(), dir });
  // Formatted as the repository formats Markdown, so `prettier --check .` stays green.
  const md = await format(raw, { ...(await resolveConfig(values.out)), parser: 'markdown' });
  mkdirSync(path.dirname(values.out), { recursive: true });
  writeFileSync(values.out, md);
  const failed = results.filter((r) => r.data.passed === false).map((r) => r.suite);
  console.log(
    `${values.out}: ${results.length} suites (${results.map((r) => r.suite).join(', ')})${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`,
  );
}

// Run only as the entry point, so tests can import `render` and `readResults`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
