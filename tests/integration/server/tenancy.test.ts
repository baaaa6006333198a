import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody, PullResponse } from '../../../shared/sync/protocol.js';
import { withTenantScope } from '../../../server/db/scope.js';
import { demoUserId, stableUuid } from '../../../server/db/seed.js';
import { HttpError } from '../../../server/http/errors.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, openSse, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();
const ITEMS = 8;

const movementFor = (tenant: string) => ({
  id: randomUUID(),
  tenantId: tenant,
  itemId: stableUuid(`${tenant}/item/1`),
  type: 'receipt',
  quantity: 1,
  fromLocationId: null,
  toLocationId: 'A-10-09',
  batch: null,
  note: null,
  createdAt: new Date().toISOString(),
  createdBy: 'x',
  deviceId: 'd',
  seq: 0,
});

describe.each(backends)('tenant isolation and bad input (%s)', (backend) => {
  let s: TestServer;
  let opGlobex: string;
  let opAcme: string;
  const counts = async () => ({
    movements: Number(
      (
        await s.db
          .selectFrom('movements')
          .select((e) => e.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
    items: Number(
      (
        await s.db
          .selectFrom('items')
          .select((e) => e.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
    seqs: (await s.db.selectFrom('tenant_seq').selectAll().orderBy('tenant_id').execute()).map((r) =>
      Number(r.last_seq),
    ),
  });

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: ITEMS } });
    opGlobex = (await login(s.url, 'op.globex')).accessToken;
    opAcme = (await login(s.url, 'op.acme')).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it("refuses another tenant's pull, push and stream with 403 and changes nothing", async () => {
    const before = await counts();
    const pull = await api<ErrorBody>(s.url, '/api/t/acme/sync/items/pull', { token: opGlobex });
    expect(pull.status).toBe(403);
    expect(pull.body.error.code).toBe('forbidden');
    const push = await api<ErrorBody>(s.url, '/api/t/acme/sync/movements/push', {
      token: opGlobex,
      body: { changes: [{ newDocumentState: movementFor('acme') }] },
    });
    expect(push.status).toBe(403);
    const stream = await openSse(s.url, 'acme', opGlobex);
    expect(stream.status).toBe(403);
    stream.close();
    expect(await counts()).toEqual(before);
  });

  it('does not reveal whether a tenant exists', async () => {
    const exists = await api<ErrorBody>(s.url, '/api/t/initech/sync/items/pull', { token: opGlobex });
    const missing = await api<ErrorBody>(s.url, '/api/t/no-such-tenant/sync/items/pull', { token: opGlobex });
    expect(exists.status).toBe(403);
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual(exists.body);
  });

  it('returns zero rows to the app role when no tenant scope is set (RLS)', async () => {
    if (backend === 'postgres') {
      // A real second login as bulkhead_app: neither superuser, BYPASSRLS nor table owner.
      const who = await sql<{ u: string; rolsuper: boolean; rolbypassrls: boolean; owner: string }>`
        SELECT current_user AS u, r.rolsuper, r.rolbypassrls,
               (SELECT tableowner FROM pg_tables WHERE tablename = 'items' AND schemaname = 'public') AS owner
        FROM pg_roles r WHERE r.rolname = current_user`.execute(s.appDb);
      expect(who.rows[0]).toMatchObject({ u: 'bulkhead_app', rolsuper: false, rolbypassrls: false });
      expect(who.rows[0]?.owner).not.toBe('bulkhead_app');
      // Past the scope guard on purpose: this proves the database layer on its own.
      const raw = s.appDb.withoutPlugins();
      const n = await sql<{ n: string }>`SELECT count(*) AS n FROM items`.execute(raw);
      expect(Number(n.rows[0]?.n)).toBe(0);
      const scoped = await raw.transaction().execute(async (tx) => {
        await sql`SELECT set_config('app.tenant_ids', 'globex', true)`.execute(tx);
        return sql<{
          n: string;
          t: string[];
        }>`SELECT count(*) AS n, array_agg(DISTINCT tenant_id) AS t FROM items`.execute(tx);
      });
      expect(Number(scoped.rows[0]?.n)).toBe(ITEMS);
      expect(scoped.rows[0]?.t).toEqual(['globex']);
      // Writes outside the scope are refused too.
      await expect(
        sql`INSERT INTO tenant_seq (tenant_id, last_seq) VALUES ('acme', 0) ON CONFLICT DO NOTHING`.execute(
          raw,
        ),
      ).rejects.toThrow(/row-level security/);
    } else {
      const unscoped = await s.appDb
        .withoutPlugins()
        .transaction()
        .execute(async (tx) => {
          await sql`SET LOCAL ROLE bulkhead_app`.execute(tx);
          const who = await sql<{ u: string }>`SELECT current_user AS u`.execute(tx);
          const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM items`.execute(tx);
          return { u: who.rows[0]?.u, n: n.rows[0]?.n };
        });
      expect(unscoped).toEqual({ u: 'bulkhead_app', n: 0 });
      const scoped = await s.appDb
        .withoutPlugins()
        .transaction()
        .execute(async (tx) => {
          await sql`SET LOCAL ROLE bulkhead_app`.execute(tx);
          await sql`SELECT set_config('app.tenant_ids', 'globex', true)`.execute(tx);
          return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM items`.execute(tx)).rows[0]?.n;
        });
      expect(scoped).toBe(ITEMS);
      const role = await sql<{ rolsuper: boolean; rolbypassrls: boolean }>`
        SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'bulkhead_app'`.execute(s.db);
      expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    }
    // The owner still sees everything: the zero above is RLS, not an empty table.
    const all = await sql<{ n: string | number }>`SELECT count(*) AS n FROM items`.execute(s.db);
    expect(Number(all.rows[0]?.n)).toBeGreaterThanOrEqual(3 * ITEMS);
  });

  it('withTenantScope runs as the app role and RLS limits even an unfiltered query to live memberships', async () => {
    const r = await withTenantScope(s.database, demoUserId('mgr'), 'globex', async (tx, scope) => {
      const who = await sql<{ u: string }>`SELECT current_user AS u`.execute(tx);
      // Deliberately no tenant filter: RLS alone must confine this to mgr's tenants.
      const t = await sql<{ tenant_id: string }>`SELECT DISTINCT tenant_id FROM items ORDER BY 1`.execute(tx);
      return { u: who.rows[0]?.u, tenants: t.rows.map((x) => x.tenant_id), role: scope.role };
    });
    expect(r).toEqual({ u: 'bulkhead_app', tenants: ['acme', 'globex'], role: 'manager' });
    await expect(
      withTenantScope(s.database, demoUserId('mgr'), 'initech', () => Promise.resolve(1)),
    ).rejects.toBeInstanceOf(HttpError);
  });

  it('assigns unique, gap-free sequence numbers to concurrent pushes', async () => {
    const before = Number(
      (
        await s.db
          .selectFrom('tenant_seq')
          .select('last_seq')
          .where('tenant_id', '=', 'acme')
          .executeTakeFirstOrThrow()
      ).last_seq,
    );
    const docs = Array.from({ length: 8 }, () => movementFor('acme'));
    const results = await Promise.all(
      docs.map((d) =>
        api(s.url, '/api/t/acme/sync/movements/push', {
          token: opAcme,
          body: {
            changes: [{ newDocumentState: d }],
            audit: auditFor(demoUserId('op.acme'), 'movements', [{ newDocumentState: d }]),
          },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(docs.map(() => 200));
    const rows = await s.db
      .selectFrom('movements')
      .select('seq')
      .where(
        'id',
        'in',
        docs.map((d) => d.id),
      )
      .execute();
    expect(rows.map((r) => Number(r.seq)).sort((a, b) => a - b)).toEqual(docs.map((_, i) => before + i + 1));
  });

  it('refuses an expired membership immediately, also for an existing token, and hides it from /me', async () => {
    const fin = await login(s.url, 'fin.globex');
    expect((await api(s.url, '/api/t/globex/sync/items/pull', { token: fin.accessToken })).status).toBe(200);
    await s.db
      .updateTable('memberships')
      .set({ valid_until: sql`now() - interval '1 second'` })
      .where('user_id', '=', demoUserId('fin.globex'))
      .execute();
    const r = await api<ErrorBody>(s.url, '/api/t/globex/sync/items/pull', { token: fin.accessToken });
    expect(r.status).toBe(403);
    const me = await api<{ memberships: unknown[] }>(s.url, '/api/me', { token: fin.accessToken });
    expect(me.body.memberships).toEqual([]);

    // Not yet valid counts as not valid either.
    await s.db
      .updateTable('memberships')
      .set({ valid_until: null, valid_from: sql`now() + interval '1 hour'` })
      .where('user_id', '=', demoUserId('fin.globex'))
      .execute();
    expect((await api(s.url, '/api/t/globex/sync/items/pull', { token: fin.accessToken })).status).toBe(403);
  });

  it('answers malformed requests with 400 and an error body, changing nothing', async () => {
    const before = await counts();
    const cases: { path: string; body?: unknown; raw?: string; status: number }[] = [
      { path: '/api/t/acme/sync/movements/push', body: {}, status: 400 },
      { path: '/api/t/acme/sync/movements/push', body: { changes: [] }, status: 400 },
      { path: '/api/t/acme/sync/movements/push', body: { changes: 'x' }, status: 400 },
      {
        path: '/api/t/acme/sync/movements/push',
        body: { changes: [{ newDocumentState: movementFor('acme') }], x: 1 },
        status: 400,
      },
      { path: '/api/t/acme/sync/movements/push', raw: '{"changes": [', status: 400 },
      {
        path: '/api/t/acme/sync/widgets/push',
        body: { changes: [{ newDocumentState: movementFor('acme') }] },
        status: 400,
      },
      {
        path: '/api/t/ACME!/sync/movements/push',
        body: { changes: [{ newDocumentState: movementFor('acme') }] },
        status: 400,
      },
      { path: '/api/auth/login', raw: 'not json', status: 400 },
    ];
    for (const c of cases) {
      const r = await api<ErrorBody>(s.url, c.path, { token: opAcme, body: c.body, rawBody: c.raw });
      expect(r.status, JSON.stringify(c)).toBe(c.status);
      expect(typeof r.body.error.code, JSON.stringify(c)).toBe('string');
      expect(typeof r.body.error.message).toBe('string');
    }
    const big = await api<ErrorBody>(s.url, '/api/t/acme/sync/movements/push', {
      token: opAcme,
      rawBody: JSON.stringify({
        changes: [{ newDocumentState: { ...movementFor('acme'), note: 'x'.repeat(2_000_000) } }],
      }),
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    expect(await counts()).toEqual(before);
  });

  it('answers unknown routes with a 404 error body and missing auth with 401', async () => {
    for (const p of ['/api/nope', '/api/t/acme/sync/items/nope', '/nothing-here']) {
      const r = await api<ErrorBody>(s.url, p, { token: opAcme });
      expect(r.status, p).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    const r = await api<ErrorBody>(s.url, '/api/t/acme/sync/items/pull');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthenticated');
  });

  it('reports health with the backend kind', async () => {
    const r = await api<{ ok: boolean; db: string }>(s.url, '/api/health');
    expect(r).toEqual({ status: 200, body: { ok: true, db: backend } });
  });

  it('only ever returns rows of the requested tenant to a multi-tenant user', async () => {
    const mgr = (await login(s.url, 'mgr')).accessToken;
    for (const t of ['acme', 'globex']) {
      const r = await api<PullResponse<{ tenantId: string }>>(s.url, `/api/t/${t}/sync/items/pull`, {
        token: mgr,
      });
      expect(r.status).toBe(200);
      expect(r.body.documents.length).toBeGreaterThan(0);
      expect(new Set(r.body.documents.map((d) => d.tenantId))).toEqual(new Set([t]));
    }
  });
});

describe.each(backends)('health when the database is gone (%s)', (backend) => {
  it('answers 503 with an error body', async () => {
    const s = await startTestServer({ backend, seed: false });
    try {
      expect((await api(s.url, '/api/health')).status).toBe(200);
      await s.database.close();
      const r = await api<ErrorBody>(s.url, '/api/health');
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('db_unavailable');
    } finally {
      await s.close();
    }
  });
});
