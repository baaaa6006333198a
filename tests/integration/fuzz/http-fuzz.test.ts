/**
 * Bad input, HTTP: every registered route is fuzzed (auth mutations, tenant and id forgery,
 * schema-derived bodies with mutations, odd queries and path parameters). Every answer must be
 * a 4xx with a JSON error body (never a 5xx, never a hang), nothing in the database changes, and
 * another user keeps being served during and after each batch.
 *
 * FUZZ_CASES (default 5200 on PGlite, one batch of 650 on PostgreSQL) and FUZZ_SEED reproduce a run.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../../server/app.js';
import { demoUserId } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';
import type { FuzzCase, FuzzWorld } from './cases.js';
import { badAuthHeaders, routeCases, SITE_WRITE_ROUTES } from './cases.js';
import type { Answer, FuzzTally } from './oracle.js';
import { newTally, problemWith, REFUSAL_TABLES, snapshot, writeFuzzResults } from './oracle.js';

const backends = await integrationBackends();
const TOTAL = Number(process.env.FUZZ_CASES ?? 5200);
const BASE_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2_147_483_647;
const BATCH = 650;
const REQUEST_TIMEOUT_MS = 15_000;

const tallies: Record<string, FuzzTally> = {};

afterAll(() => {
  const runs = Object.entries(tallies);
  if (runs.length === 0) return;
  const byStatus: Record<string, number> = {};
  const byMutation: Record<string, number> = {};
  for (const [, t] of runs) {
    for (const [k, v] of Object.entries(t.byStatus)) byStatus[k] = (byStatus[k] ?? 0) + v;
    for (const [k, v] of Object.entries(t.byMutation)) byMutation[k] = (byMutation[k] ?? 0) + v;
  }
  writeFuzzResults('http', {
    suite: 'fuzz-http',
    cases: runs.reduce((n, [, t]) => n + t.cases, 0),
    seeds: runs.flatMap(([, t]) => t.seeds),
    byStatus,
    byKind: byMutation,
    endpoints: Math.max(...runs.map(([, t]) => t.endpoints)),
    backends: Object.fromEntries(
      runs.map(([b, t]) => [b, { cases: t.cases, seeds: t.seeds, byStatus: t.byStatus }]),
    ),
    notes: [
      `HTTP: every registered route except the CORS preflight (OPTIONS *) was fuzzed through app.inject, ${BATCH} cases per batch, each batch with its own seed.`,
      `Database snapshot (row count and md5 of every table) unchanged after every batch, except ${REFUSAL_TABLES.join(', ')}, which record refusals (rejected pushes feed the anomaly rules).`,
      'Every bad request answered 4xx with a JSON error body {error:{code,message}}, never 5xx, each within 15 s. Exceptions by design: a push answers 200 with every forged change rejected (rejections travel as conflicts so the queue never stalls); logout of an unknown token is an idempotent 204; reads (GET) with well-formed but odd queries may answer 200 (the snapshot proves they changed nothing). Cross-tenant, bad-token and non-member cases were always 4xx.',
      "Found and fixed: NUL in text or token claims reached PostgreSQL (500); nesting 5000 deep in a pushed document overflowed the reply serializer (500); router refusals (414 param too long, 400 bad URL) used Fastify's own body instead of the error contract.",
      "Site admin routes (/api/sites/*, twice the weight of other routes): schema-shaped bodies and their mutations reach the body check with real codes; valid bodies that must still be refused (no site-admin right, taken or scan-confusable codes and barcodes, unknown or other tenants' codes, mistyped confirmations, deactivating a warehouse with active locations or a location holding stock) were 4xx; warehouses, locations and audit_log are in the unchanged snapshot.",
      'A second user (op.globex) was served during and after every batch.',
      ...runs.flatMap(([, t]) => t.notes),
    ],
  });
});

describe.each(backends)('HTTP fuzz (%s)', (backend) => {
  let s: TestServer;
  let world: FuzzWorld;
  let bystanderToken: string;
  let updatesDir: string;
  const jwtSecret = new Uint8Array(randomBytes(32));
  // PGlite carries the count; PostgreSQL (when reachable) one batch more, for its own text rules.
  const cases = backend === 'pglite' ? TOTAL : Math.min(TOTAL, BATCH);

  beforeAll(async () => {
    updatesDir = mkdtempSync(path.join(tmpdir(), 'bulkhead-fuzz-updates-'));
    writeFileSync(path.join(updatesDir, 'latest.yml'), 'version: 1.0.0\n');
    mkdirSync(path.join(updatesDir, 'sub'));
    writeFileSync(path.join(updatesDir, '.secret'), 'dotfile');
    s = await startTestServer({
      backend,
      seed: { itemsPerTenant: 5 },
      jwtSecret,
      updatesDir,
      // The fuzz measures input handling, not the limits (limits.test.ts covers those).
      rateLimits: { loginPerIp: 0, apiPerIp: 0, apiPerUser: 0 },
    });
    const admin = await login(s.url, 'admin.acme');
    const nonMember = await login(s.url, 'op.initech');
    const dead = await login(s.url, 'fin.acme');
    await api(s.url, '/api/auth/logout', { body: { refreshToken: dead.refreshToken } });
    bystanderToken = (await login(s.url, 'op.globex')).accessToken;
    const globexItems = await api<{ documents: { id: string }[] }>(s.url, '/api/t/globex/sync/items/pull', {
      token: bystanderToken,
    });
    expect(globexItems.status).toBe(200);
    // Site data the site routes are reached with: the warehouse, its active locations, stock.
    const locations = await s.db
      .selectFrom('locations')
      .select(['id', 'barcode', 'kind', 'warehouse_id'])
      .where('deleted', '=', false)
      .orderBy('id')
      .execute();
    const stockedIds = new Set(
      (
        await s.db
          .selectFrom('balances')
          .select('location_id')
          .where('quantity', '<>', 0)
          .distinct()
          .execute()
      ).map((b) => b.location_id),
    );
    const empty = locations.filter((l) => !stockedIds.has(l.id));
    const stocked = locations.find((l) => stockedIds.has(l.id));
    const warehouseId = empty[0]?.warehouse_id;
    expect(empty.length, 'active locations without stock').toBeGreaterThan(2);
    expect(stocked, 'a location holding stock').toBeDefined();
    expect(warehouseId).toBeDefined();
    const loc = (l: { id: string; barcode: string; kind: string }) => ({
      id: l.id,
      barcode: l.barcode,
      kind: l.kind,
    });
    world = {
      site: {
        warehouseId: warehouseId as string,
        locations: empty.slice(0, 8).map(loc),
        stocked: loc(stocked as { id: string; barcode: string; kind: string }),
      },
      jwtSecret,
      adminToken: admin.accessToken,
      adminId: admin.user.id,
      nonMemberToken: nonMember.accessToken,
      deadSessionToken: dead.accessToken,
      foreignUserIds: ['op.globex', 'fin.globex', 'op.initech'].map(demoUserId),
      foreignItemIds: globexItems.body.documents.map((d) => d.id),
    };
    expect(world.foreignItemIds.length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await s?.close();
    if (updatesDir) rmSync(updatesDir, { recursive: true, force: true });
  });

  const send = async (c: FuzzCase): Promise<Answer> => {
    const res = s.app.inject({
      method: c.method as 'GET',
      url: c.url,
      headers: { ...c.headers, ...(c.body ? { 'content-type': c.body.contentType } : {}) },
      payload: c.body?.text,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms (hang)`)),
        REQUEST_TIMEOUT_MS,
      );
    });
    try {
      const r = await Promise.race([res, timeout]);
      return { status: r.statusCode, headers: r.headers, body: r.body };
    } finally {
      clearTimeout(timer);
    }
  };

  /** The bystander: op.globex pulls its own items; only globex documents may come back. */
  const bystander = async (): Promise<void> => {
    const r = await api<{ documents: { tenantId: string }[] }>(
      s.url,
      '/api/t/globex/sync/items/pull?limit=5',
      {
        token: bystanderToken,
      },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.documents.length).toBeGreaterThan(0);
    expect(r.body.documents.every((d) => d.tenantId === 'globex')).toBe(true);
  };

  it(`answers ${cases} bad requests with 4xx, changes nothing and keeps serving others`, async () => {
    const routes = (ROUTE_TABLE.get(s.app) ?? []).filter((r) => r.method !== 'OPTIONS');
    expect(routes.length).toBeGreaterThan(20);
    const badAuth = await badAuthHeaders(world);
    const perRoute = routes.map((r) => routeCases(r, world, badAuth));
    for (const [i, arbs] of perRoute.entries())
      expect(arbs.length, `no fuzz cases for ${routes[i]?.method} ${routes[i]?.url}`).toBeGreaterThan(0);
    // Every route equally likely (the site write routes, new, twice as likely), then one of its case families.
    const anyCase = fc
      .oneof(
        ...perRoute.map((arbs, i) => ({
          weight: SITE_WRITE_ROUTES.has(`${routes[i]?.method} ${routes[i]?.url}`) ? 2 : 1,
          arbitrary: fc.oneof(...arbs),
        })),
      )
      .map((c) =>
        // Counterexamples print short (a deep-nesting body is megabytes of brackets).
        Object.assign(c, {
          [fc.toStringMethod]: () =>
            `${c.method} ${c.url.slice(0, 160)} [${c.kind}] auth=${(c.headers.authorization ?? 'none').slice(0, 40)} body(${c.body?.text.length ?? 0})=${(c.body?.text ?? '').slice(0, 300)}`,
        }),
      );
    const tally = newTally();
    tally.endpoints = routes.length;
    tallies[backend] = tally;
    const touched = new Set<string>();

    for (let done = 0, batch = 0; done < cases; batch++) {
      const runs = Math.min(BATCH, cases - done);
      const seed = (BASE_SEED + batch * 7919) % 2_147_483_647;
      const before = await snapshot(s.db);
      // The site tables are part of "nothing changed" (site routes write there and in audit_log).
      expect(Object.keys(before)).toEqual(expect.arrayContaining(['warehouses', 'locations', 'audit_log']));
      let bystanderCalls = 0;
      let stop = false;
      // Another user keeps working while the batch runs.
      const background = (async () => {
        while (!stop) {
          await bystander();
          bystanderCalls++;
        }
      })();
      try {
        await fc.assert(
          fc.asyncProperty(anyCase, async (c) => {
            const a = await send(c);
            tally.cases++;
            tally.byStatus[String(a.status)] = (tally.byStatus[String(a.status)] ?? 0) + 1;
            const kind = c.kind.split(':')[0] ?? c.kind;
            tally.byMutation[kind] = (tally.byMutation[kind] ?? 0) + 1;
            touched.add(c.route);
            const problem = problemWith(c.expect, c.method, a, c.pushed);
            if (problem)
              throw new Error(
                `${c.method} ${c.url.slice(0, 200)} [${c.kind}] → ${problem}\nbody sent: ${(c.body?.text ?? '').slice(0, 400)}`,
              );
          }),
          { seed, numRuns: runs, endOnFailure: false },
        );
      } finally {
        stop = true;
        await background;
      }
      tally.seeds.push(seed);
      expect(bystanderCalls, 'the bystander was served during the batch').toBeGreaterThan(0);
      const after = await snapshot(s.db);
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        // Say what was written: the tables that changed, and the newest audit entries.
        const changed = Object.keys(after).filter(
          (k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]),
        );
        const recent = await s.db
          .selectFrom('audit_log')
          .select(['tenant_id', 'seq', 'action', 'entity', 'entity_id', 'actor_id'])
          .orderBy('at', 'desc')
          .limit(5)
          .execute();
        expect(
          after,
          `database changed in batch seed=${seed}: tables ${changed.join(', ')}; newest audit entries ${JSON.stringify(recent)}`,
        ).toEqual(before);
      }
      await bystander();
      done += runs;
      console.log(
        `[fuzz ${backend}] batch seed=${seed} cases=${runs} (total ${done}/${cases}); bystander calls ${bystanderCalls}`,
      );
    }
    console.log(
      `[fuzz ${backend}] ${tally.cases} cases over ${routes.length} routes; seeds ${tally.seeds.join(',')}; by status ${JSON.stringify(tally.byStatus)}`,
    );
    expect(tally.cases).toBeGreaterThanOrEqual(cases);
    // Every route was hit at least once.
    const missed = routes.map((r) => `${r.method} ${r.url}`).filter((k) => !touched.has(k));
    expect(missed).toEqual([]);
  }, 600_000);
});
