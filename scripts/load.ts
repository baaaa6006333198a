/**
 * `npm run test:load`: 50 simulated clients across 10 tenants pulling, pushing and streaming
 * against one server (its own process) on a fresh PostgreSQL database, for 2 minutes.
 * Passes with zero errors, zero isolation violations and nothing lost; prints p95 pull and push
 * latency and the server's RSS/heap at start and end (after GC), flagging growth.
 *
 *   --duration <s>        run length (default 120)
 *   --clients <n>         simulated clients (default 50)
 *   --tenants <n>         tenants (default 10)
 *   --think <ms>          a client's pause between rounds (default 300)
 *   --restart-postgres    restart the local cluster at half time (pg_ctlcluster … restart);
 *                         never inside `npm test`, other suites share the cluster
 *   --cut-connections     instead, cut the server's database connections through a TCP proxy
 *                         and refuse new ones for 3 s at half time
 *
 * DATABASE_URL: the cluster's admin URL (default postgres://postgres@127.0.0.1:5432/postgres).
 * Results: .tsbuild/reliability/load.json (see `npm run reliability:report`).
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { parseArgs, promisify } from 'node:util';
import { startPgProxy } from '../tests/integration/db-faults/proxy.js';
import type { PgProxy } from '../tests/integration/db-faults/proxy.js';
import { writeReliabilityResult } from '../tests/load/client.js';
import type { LoadConfig } from '../tests/load/harness.js';
import { runLoad } from '../tests/load/harness.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '120' },
    clients: { type: 'string', default: '50' },
    tenants: { type: 'string', default: '10' },
    think: { type: 'string', default: '300' },
    'restart-postgres': { type: 'boolean', default: false },
    'cut-connections': { type: 'boolean', default: false },
  },
});

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const cfg: LoadConfig = {
  adminUrl,
  durationMs: Number(values.duration) * 1000,
  clients: Number(values.clients),
  tenants: Number(values.tenants),
  itemsPerTenant: 200,
  pushBatch: 10,
  thinkMs: Number(values.think),
  log: (line) => console.log(`[load] ${line}`),
};

let proxy: PgProxy | null = null;
if (values['restart-postgres']) {
  const version = readdirSync('/etc/postgresql')[0];
  if (!version) throw new Error('no cluster under /etc/postgresql');
  cfg.fault = {
    name: `PostgreSQL ${version}/main restarted (pg_ctlcluster)`,
    // Asynchronous: the clients keep working (and meeting the outage) while it restarts.
    run: async () => {
      const { stdout, stderr } = await promisify(execFile)('pg_ctlcluster', [
        '--skip-systemctl-redirect',
        version,
        'main',
        'restart',
      ]);
      if (stdout.trim() || stderr.trim())
        console.log(`[load] pg_ctlcluster: ${stdout.trim()} ${stderr.trim()}`);
    },
  };
} else if (values['cut-connections']) {
  const upstream = new URL(adminUrl);
  const p = await startPgProxy(upstream.hostname, Number(upstream.port || 5432));
  proxy = p;
  cfg.serverDatabaseUrl = (direct) => {
    const u = new URL(direct);
    u.hostname = '127.0.0.1';
    u.port = String(p.port);
    return u.toString();
  };
  cfg.fault = {
    name: 'every database connection cut, new ones refused for 3 s (proxy)',
    run: () => p.outage(3000),
  };
}

const flags = [
  `--duration ${values.duration}`,
  ...(values.clients !== '50' ? [`--clients ${values.clients}`] : []),
  ...(values.tenants !== '10' ? [`--tenants ${values.tenants}`] : []),
  ...(values['restart-postgres'] ? ['--restart-postgres'] : []),
  ...(values['cut-connections'] ? ['--cut-connections'] : []),
];
console.log(`[load] ${cfg.clients} clients, ${cfg.tenants} tenants, ${cfg.durationMs / 1000} s`);
const r = await runLoad(cfg).finally(() => proxy?.close());
const failed = r.errors > 0 || r.isolationViolations > 0 || r.lost > 0 || r.duplicates > 0;
const notes = [
  ...(r.memoryGrowthFlagged ? ['MEMORY GROWTH FLAGGED: server heap/RSS after GC grew during the run'] : []),
  ...r.errorSamples.map((e) => `error: ${e}`),
  ...r.violationSamples.map((v) => `isolation: ${v}`),
];
const { errorSamples: _e, violationSamples: _v, memorySamples, ...figures } = r;
const file = writeReliabilityResult('load', {
  run: `npm run test:load -- ${flags.join(' ')}`,
  passed: !failed,
  ...figures,
  memorySamples: memorySamples.map((s) => `${s.atS} s: RSS ${s.rssMB} MB, heap ${s.heapMB} MB`).join('; '),
  notes,
});

console.log(`
Load: ${r.clients} clients, ${r.tenants} tenants, ${r.durationS} s, fault: ${r.fault}; ${r.machine}
  requests ${r.requests}  pulls ${r.pulls} (${r.pulledDocuments} documents)  pushes ${r.pushes} (${r.movementsPushed} movements)  stream events ${r.streamEvents}
  pull latency  p50 ${r.pullP50Ms} ms  p95 ${r.pullP95Ms} ms
  push latency  p50 ${r.pushP50Ms} ms  p95 ${r.pushP95Ms} ms
  errors ${r.errors}  isolation violations ${r.isolationViolations}  probes refused ${r.probesRefused}  retried 503s ${r.retried503}
  movements stored once ${r.movementsStoredOnce}/${r.movementsPushed}  lost ${r.lost}  duplicates ${r.duplicates}  chains verified ${r.chainsVerified}/${r.tenants}
  server memory after GC${r.gcBeforeSamples ? '' : ' (GC unavailable)'}: RSS ${r.rssStartMB} → ${r.rssEndMB} MB, heap ${r.heapStartMB} → ${r.heapEndMB} MB${r.memoryGrowthFlagged ? '  ⚠ GROWTH FLAGGED' : ''}
  memory samples: ${memorySamples.map((s) => `${s.atS}s ${s.rssMB}/${s.heapMB}`).join(', ')}
${notes.map((n) => `  ${n}`).join('\n')}
results: ${file}
${failed ? 'FAILED' : 'passed'}`);
process.exit(failed ? 1 : 0);
