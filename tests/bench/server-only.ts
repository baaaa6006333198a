/**
 * Targeted server figures (push throughput, RLS and projection cost) without the browser part:
 * `npx tsx tests/bench/server-only.ts [items] [changes] [push|push1|ratios|projection|all]`. Prints JSON; writes
 * nothing. Push: `changes` movements with 1, 2 and 4 clients at once (same user, same tenant),
 * then `changes / 4` item creations. Push1: one client, `changes` movements then `changes / 2` item
 * creations after a warm-up, with statements per push of 100.
 */
import pg from 'pg';
import { postgresUnavailableReason, startTestServer } from '../helpers/server.js';
import { loadTenant } from './data.js';
import { projectionCost, pushItems, pushMovements, rlsCost } from './server-bench.js';

/** Counts statements sent by every pg client of this process from now on (`take` reads and resets). */
function countStatements(): { take: () => number } {
  let n = 0;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    n += 1;
    return query.apply(this, args);
  };
  return {
    take: () => {
      const v = n;
      n = 0;
      return v;
    },
  };
}

const items = Number(process.argv[2] ?? 100_000);
const push = Number(process.argv[3] ?? 20_000);
const only = process.argv[4] ?? 'all';
// Before the server starts: its pool patches each client's query as it creates it.
const count = countStatements();
const reason = await postgresUnavailableReason();
const backend = reason === null ? 'postgres' : 'pglite';
const server = await startTestServer({ backend, seed: { itemsPerTenant: 0 } });
try {
  await loadTenant(server.db, 'acme', items, new Date());
  const out: Record<string, unknown> = { backend, items };
  if (only === 'push1') {
    // One client only (issue #8's figure), after a warm-up, with statements per push of 100 counted
    // at the driver (PostgreSQL; BEGIN and COMMIT included): `push1` for A/B runs of the push path.
    await pushMovements(server.url, 'acme', 'op.acme', items, 500, 100, 1);
    count.take();
    // CPU of this process (server and load generator) per push, in ms.
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    let c0 = cpu();
    out.movements1 = await pushMovements(server.url, 'acme', 'op.acme', items, push, 100, 1);
    out.movementStatementsPerPush = count.take() / (push / 100);
    out.movementNodeCpuMsPerPush = (cpu() - c0) / (push / 100);
    const creations = Math.round(push / 2);
    c0 = cpu();
    out.itemCreations = await pushItems(server.url, 'acme', creations);
    out.itemStatementsPerPush = count.take() / (creations / 100);
    out.itemNodeCpuMsPerPush = (cpu() - c0) / (creations / 100);
  }
  if (only === 'all' || only === 'push') {
    out.movements1 = await pushMovements(server.url, 'acme', 'op.acme', items, push, 100, 1);
    out.movements2 = await pushMovements(server.url, 'acme', 'op.acme', items, push, 100, 2);
    out.movements4 = await pushMovements(server.url, 'acme', 'op.acme', items, push, 100, 4);
    out.itemCreations = await pushItems(server.url, 'acme', Math.round(push / 4));
  }
  if (only === 'all' || only === 'ratios')
    out.rls = await rlsCost(server.url, server.db, 'acme', items, 2000, 3);
  if (only === 'all' || only === 'ratios' || only === 'projection')
    out.projection = await projectionCost(server.url, 'acme', 3);
  console.log(
    JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v), 1),
  );
} finally {
  await server.close();
}
