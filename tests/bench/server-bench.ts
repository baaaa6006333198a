/** Server-side figures over HTTP against the real Fastify app: push throughput, RLS and projection cost. */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { project } from '../../shared/access/policy.js';
import type { DB } from '../../server/db/types.js';
import { demoBinOf } from '../../server/db/seed.js';
import { auditFor, login } from '../helpers/server.js';
import { benchItem } from './data.js';

async function call(url: string, token: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

function movement(tenant: string, itemId: string, i: number) {
  return {
    id: randomUUID(),
    tenantId: tenant,
    itemId,
    type: 'receipt',
    quantity: 1 + (i % 5),
    fromLocationId: null,
    // 50 seeded storage bins (the server refuses movements to unknown bins).
    toLocationId: demoBinOf(i % 50),
    batch: null,
    note: null,
    createdAt: new Date().toISOString(),
    createdBy: 'ignored',
    deviceId: 'bench',
    seq: 0,
  };
}

/** Push `total` movements in batches of `batch` (the client's push batch size), `clients` at once. */
export async function pushMovements(
  url: string,
  tenant: string,
  username: string,
  items: number,
  total: number,
  batch = 100,
  clients = 1,
): Promise<{ ms: number; perSecond: number; rejected: number }> {
  const session = await login(url, username);
  const token = session.accessToken;
  let rejected = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const start = next;
        next += batch;
        const changes = Array.from({ length: Math.min(batch, total - start) }, (_, k) => ({
          assumedMasterState: null,
          newDocumentState: movement(tenant, benchItem(tenant, ((start + k) % items) + 1).id, start + k),
        }));
        // Every change carries its audit entry, as the app sends it (I4): the server chains each.
        const audit = auditFor(session.user.id, 'movements', changes);
        const res = (await call(url, token, `/api/t/${tenant}/sync/movements/push`, { changes, audit })) as {
          rejections: unknown[];
        };
        rejected += res.rejections.length;
      }
    }),
  );
  const ms = performance.now() - t0;
  return { ms, perSecond: (total / ms) * 1000, rejected };
}

/** Create `total` items (each with its audit entry) as the tenant admin, in batches. */
export async function pushItems(
  url: string,
  tenant: string,
  total: number,
  batch = 100,
): Promise<{ ms: number; perSecond: number; rejected: number }> {
  const session = await login(url, `admin.${tenant}`);
  const token = session.accessToken;
  let rejected = 0;
  const t0 = performance.now();
  for (let start = 0; start < total; start += batch) {
    const changes = Array.from({ length: Math.min(batch, total - start) }, (_, k) => ({
      assumedMasterState: null,
      newDocumentState: {
        id: randomUUID(),
        tenantId: tenant,
        sku: `NEW-${start + k}-${randomUUID().slice(0, 8)}`,
        name: `New item ${start + k}`,
        barcode: null,
        uom: 'pcs',
        purchasePrice: 1.5,
        updatedAt: new Date().toISOString(),
        seq: 0,
      },
    }));
    const audit = auditFor(session.user.id, 'items', changes, { action: 'create' });
    const res = (await call(url, token, `/api/t/${tenant}/sync/items/push`, { changes, audit })) as {
      rejections: unknown[];
    };
    rejected += res.rejections.length;
  }
  const ms = performance.now() - t0;
  return { ms, perSecond: (total / ms) * 1000, rejected };
}

/** Pull a whole collection page by page; returns the documents and the time. */
export async function pullAll(
  url: string,
  token: string,
  tenant: string,
  collection: string,
  limit = 1000,
): Promise<{ ms: number; docs: Record<string, unknown>[] }> {
  const docs: Record<string, unknown>[] = [];
  let checkpoint: number | undefined;
  const t0 = performance.now();
  for (;;) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (checkpoint !== undefined) q.set('checkpoint', String(checkpoint));
    const page = (await call(url, token, `/api/t/${tenant}/sync/${collection}/pull?${q.toString()}`)) as {
      documents: Record<string, unknown>[];
      checkpoint: { seq: number } | null;
    };
    docs.push(...page.documents);
    if (page.documents.length < limit || !page.checkpoint) break;
    checkpoint = page.checkpoint.seq;
  }
  return { ms: performance.now() - t0, docs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * The same pull + push workload with the tenant tables' RLS on, then off (ALTER TABLE … DISABLE /
 * NO FORCE ROW LEVEL SECURITY as the owner), alternating `rounds` times; medians compared.
 */
export async function rlsCost(
  url: string,
  owner: Kysely<DB>,
  tenant: string,
  items: number,
  pushes: number,
  rounds: number,
): Promise<{ withMs: number; withoutMs: number; ratio: number; tables: string[] }> {
  const tables = (
    await sql<{
      tablename: string;
    }>`SELECT DISTINCT tablename FROM pg_policies WHERE policyname = 'tenant_scope'`.execute(owner)
  ).rows.map((r) => r.tablename);
  const token = (await login(url, 'mgr')).accessToken;
  const workload = async () => {
    const t0 = performance.now();
    await pullAll(url, token, tenant, 'items');
    await pushMovements(url, tenant, 'op.acme', items, pushes);
    return performance.now() - t0;
  };
  const setRls = async (on: boolean) => {
    for (const t of tables) {
      await sql
        .raw(
          on
            ? `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY; ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`
            : `ALTER TABLE ${t} NO FORCE ROW LEVEL SECURITY; ALTER TABLE ${t} DISABLE ROW LEVEL SECURITY`,
        )
        .execute(owner);
    }
  };
  await workload(); // warm-up
  const withRls: number[] = [];
  const without: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      await setRls(true);
      withRls.push(await workload());
      await setRls(false);
      without.push(await workload());
    }
  } finally {
    await setRls(true);
  }
  const withMs = median(withRls);
  const withoutMs = median(without);
  return { withMs, withoutMs, ratio: withMs / withoutMs, tables };
}

/**
 * Field projection on pull: the time of pulling every item as a manager (purchasePrice removed by
 * the shared policy's `project`) against the same pull without the projection step, i.e. minus
 * the time `project` takes over the same (unprojected) documents in this process.
 */
export async function projectionCost(
  url: string,
  tenant: string,
  rounds: number,
): Promise<{ pullMs: number; projectMs: number; ratio: number }> {
  const mgr = (await login(url, 'mgr')).accessToken;
  const admin = (await login(url, `admin.${tenant}`)).accessToken;
  const full = (await pullAll(url, admin, tenant, 'items')).docs;
  const pulls: number[] = [];
  const projections: number[] = [];
  for (let r = 0; r < rounds; r++) {
    pulls.push((await pullAll(url, mgr, tenant, 'items')).ms);
    const t0 = performance.now();
    for (const d of full) project('manager', 'items', d, {});
    projections.push(performance.now() - t0);
  }
  const pullMs = median(pulls);
  const projectMs = median(projections);
  return { pullMs, projectMs, ratio: pullMs / Math.max(1e-9, pullMs - projectMs) };
}

/**
 * `ANALYZE` every table, as autovacuum would have by now on a production database. This machine's
 * PostgreSQL runs with autovacuum off (a CI setting, conf.d/90-ci.conf), so tables the bench fills
 * would otherwise keep no statistics and the planner would price the `(tenant_id, id)` indexes no
 * better than any other: a push's id lookups then scan the tenant's rows, and grow with the table
 * (found by the fifth server pass, docs/benchmarks.md). Returns the milliseconds it took.
 */
export async function analyzeTables(db: Kysely<DB>): Promise<number> {
  const t0 = performance.now();
  await sql`ANALYZE`.execute(db);
  return performance.now() - t0;
}
