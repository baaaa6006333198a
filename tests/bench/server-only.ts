/**
 * Targeted server figures (push throughput, RLS and projection cost) without the browser part:
 * `npx tsx tests/bench/server-only.ts [items] [changes] [push|ratios|projection|all]`. Prints JSON; writes
 * nothing. Push: `changes` movements with 1, 2 and 4 clients at once (same user, same tenant),
 * then `changes / 4` item creations.
 */
import { postgresUnavailableReason, startTestServer } from '../helpers/server.js';
import { loadTenant } from './data.js';
import { projectionCost, pushItems, pushMovements, rlsCost } from './server-bench.js';

const items = Number(process.argv[2] ?? 100_000);
const push = Number(process.argv[3] ?? 20_000);
const only = process.argv[4] ?? 'all';
const reason = await postgresUnavailableReason();
const backend = reason === null ? 'postgres' : 'pglite';
const server = await startTestServer({ backend, seed: { itemsPerTenant: 0 } });
try {
  await loadTenant(server.db, 'acme', items, new Date());
  const out: Record<string, unknown> = { backend, items };
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
