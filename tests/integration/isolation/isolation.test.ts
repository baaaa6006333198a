/**
 * Property-based isolation suite: random worlds (tenants, users, roles, memberships with random
 * windows, field overrides, clocks) against a real server; every outbound path is compared with
 * the shared policy evaluated independently on the generated world.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASKED } from '../../../shared/access/policy.js';
import type { AuditChainPage, AuditPage, AuditVerifyAnswer } from '../../../shared/api/audit.js';
import type { ReportResult } from '../../../shared/api/reports.js';
import type { PullResponse, PushResponse } from '../../../shared/sync/protocol.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, openSse, startTestServer } from '../../helpers/server.js';
import type { Doc, World } from './world.js';
import {
  auditEntries,
  fieldAccess,
  fullDocs,
  insertWorld,
  oracleReport,
  oracleRole,
  project,
  roleCan,
  tenantState,
  worldArb,
} from './world.js';

const backends = await integrationBackends();
const SEED = Number(process.env.ISOLATION_SEED ?? Math.floor(Math.random() * 2 ** 31));
const JWT_SECRET = new TextEncoder().encode('isolation-suite-secret-0123456789abcdef');
/** Cases per run: the PostgreSQL run is the one CI counts; PGlite runs a cheaper share. */
const TARGET: Record<string, number> = { postgres: 10_000, pglite: 1_500 };

const sortJson = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
const byId = (docs: Doc[]): Map<string, Doc> => new Map(docs.map((d) => [String(d.id), d]));

/** Runs `fns` with at most `n` in flight. */
async function pool(fns: (() => Promise<void>)[], n: number): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < fns.length) {
        const f = fns[i++];
        if (f) await f();
      }
    }),
  );
}

describe.each(backends)('isolation properties (%s)', (backend) => {
  let s: TestServer;
  let clock = new Date('2031-05-06T07:08:09.000Z');
  let cases = 0;
  let worlds = 0;
  beforeAll(async () => {
    s = await startTestServer({ backend, seed: false, now: () => clock, jwtSecret: JWT_SECRET });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Every outbound path for every (user, tenant) of the world at the current clock. */
  async function readCases(w: World, now: Date): Promise<void> {
    clock = now;
    const docs = new Map(
      await Promise.all(w.tenants.map(async (t) => [t, await fullDocs(s.db, t)] as const)),
    );
    const audits = new Map(
      await Promise.all(w.tenants.map(async (t) => [t, await auditEntries(s.db, t)] as const)),
    );
    const jobs: (() => Promise<void>)[] = [];
    for (const u of w.users) {
      const token = w.tokens.get(u) ?? '';
      for (const t of w.tenants) {
        const role = oracleRole(w, u, t, now);
        const ov = w.policies[t]?.overrides;
        const ctx = `${u} in ${t} as ${role ?? 'nobody'} at ${now.toISOString()}`;
        for (const c of ['items', 'movements', 'balances'] as const) {
          jobs.push(async () => {
            const r = await api<PullResponse<Doc>>(s.url, `/api/t/${t}/sync/${c}/pull?limit=5000`, { token });
            cases++;
            if (role === null) {
              expect(r.status, ctx).toBe(403);
              return;
            }
            expect(r.status, ctx).toBe(200);
            const expected = byId((docs.get(t)?.[c] ?? []).map((d) => project(role, c, d, ov)));
            expect(r.body.documents.length, ctx).toBe(expected.size);
            for (const d of r.body.documents) {
              expect(d.tenantId, ctx).toBe(t);
              expect(d, `${ctx} ${c}`).toEqual(expected.get(String(d.id)));
            }
          });
        }
        jobs.push(async () => {
          const r = await api<ReportResult>(s.url, `/api/t/${t}/reports/inventory`, { token });
          cases++;
          if (role === null) return void expect(r.status, ctx).toBe(403);
          expect(r.status, ctx).toBe(200);
          const o = oracleReport(w, u, [t], now, docs);
          expect(
            r.body.columns.map((x) => x.key),
            ctx,
          ).toEqual(o.columns);
          expect(sortJson(r.body.rows), ctx).toEqual(sortJson(o.rows));
        });
        jobs.push(async () => {
          const r = await api<AuditPage>(s.url, `/api/t/${t}/audit?limit=500`, { token });
          cases++;
          if (role === null) return void expect(r.status, ctx).toBe(403);
          expect(r.status, ctx).toBe(200);
          const own = !roleCan(role, 'audit:read');
          const expected = (audits.get(t) ?? [])
            .filter((e) => !own || e.actorId === u)
            .map((e) => {
              const entity = e.entity as 'items';
              const isDoc = ['items', 'movements', 'balances', 'orders'].includes(e.entity);
              return {
                ...e,
                before: e.before && isDoc ? project(role, entity, e.before, ov) : e.before,
                after: e.after && isDoc ? project(role, entity, e.after, ov) : e.after,
              };
            });
          // Entries written by this round's own exports may be newer than the snapshot: compare the
          // snapshot's entries and require every returned entry to belong to the tenant.
          const got = new Map(r.body.entries.map((e) => [e.id, e]));
          for (const e of r.body.entries) {
            expect(e.tenantId, ctx).toBe(t);
            if (own) expect(e.actorId, ctx).toBe(u);
          }
          for (const e of expected) expect(got.get(e.id), ctx).toEqual(e);
        });
        // Verification and the chain: only the tenant's own entries, only for roles with audit:verify.
        jobs.push(async () => {
          const r = await api<AuditVerifyAnswer>(s.url, `/api/t/${t}/audit/verify`, { token });
          cases++;
          if (role === null || !roleCan(role, 'audit:verify')) return void expect(r.status, ctx).toBe(403);
          expect(r.status, ctx).toBe(200);
          expect(r.body.ok, ctx).toBe(true);
          expect(r.body.length, ctx).toBeGreaterThanOrEqual((audits.get(t) ?? []).length);
        });
        jobs.push(async () => {
          const r = await api<AuditChainPage>(s.url, `/api/t/${t}/audit/chain?limit=5000`, { token });
          cases++;
          if (role === null || !roleCan(role, 'audit:verify')) return void expect(r.status, ctx).toBe(403);
          expect(r.status, ctx).toBe(200);
          const mine = new Set((audits.get(t) ?? []).map((e) => e.id));
          for (const e of r.body.entries) {
            expect(e.tenantId, ctx).toBe(t);
            expect(e, ctx).not.toHaveProperty('before');
            expect(e, ctx).not.toHaveProperty('after');
          }
          const got = new Set(r.body.entries.map((e) => e.id));
          for (const id of mine) expect(got.has(id), ctx).toBe(true);
        });
      }
      // Cross-tenant report over the user's tenants (live or not) plus one more.
      const mine = (w.memberships.get(u) ?? []).map((m) => m.tenantId);
      const extra = w.tenants[(w.n + w.users.indexOf(u)) % w.tenants.length] ?? w.tenants[0] ?? '';
      const asked = [...new Set([...mine, extra])].sort();
      jobs.push(async () => {
        const r = await api<ReportResult>(s.url, `/api/reports/inventory?tenants=${asked.join(',')}`, {
          token,
        });
        cases++;
        const allowed = asked.every((t) => {
          const role = oracleRole(w, u, t, now);
          return role !== null && roleCan(role, 'report:cross-tenant');
        });
        const ctx = `${u} cross ${asked.join(',')}`;
        if (!allowed) {
          expect(r.status, ctx).toBe(403);
          expect(JSON.stringify(r.body)).not.toMatch(new RegExp(`w${w.n}-t`));
          return;
        }
        expect(r.status, ctx).toBe(200);
        const o = oracleReport(w, u, asked, now, docs);
        expect(r.body.tenantColumn, ctx).toBe(o.tenantColumn);
        expect(
          r.body.columns.map((x) => x.key),
          ctx,
        ).toEqual(o.columns);
        expect(sortJson(r.body.rows), ctx).toEqual(sortJson(o.rows));
      });
    }
    await pool(jobs, 6);

    // Exports (each writes an audit entry, so they run after the audit reads).
    const exports: (() => Promise<void>)[] = [];
    for (const u of w.users) {
      for (const t of w.tenants) {
        const token = w.tokens.get(u) ?? '';
        const role = oracleRole(w, u, t, now);
        exports.push(async () => {
          const res = await fetch(`${s.url}/api/t/${t}/export/inventory?format=csv`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const text = await res.text();
          cases++;
          const ctx = `${u} export ${t} as ${role ?? 'nobody'}`;
          if (role === null || !roleCan(role, 'export')) return void expect(res.status, ctx).toBe(403);
          expect(res.status, ctx).toBe(200);
          expect(res.headers.get('content-disposition'), ctx).toMatch(/^attachment;/);
          const o = oracleReport(w, u, [t], now, docs);
          // Generated values need no CSV quoting, so a line is its cells joined by commas (a row
          // of a role that may read no column at all is an empty line).
          const all = text.split('\r\n');
          expect(all.pop(), ctx).toBe('');
          const lines = all.slice(1);
          const expected = o.rows.map((row) =>
            o.columns.map((k) => (row[k] === undefined || row[k] === null ? '' : String(row[k]))).join(','),
          );
          expect(sortJson(lines), ctx).toEqual(sortJson(expected));
        });
      }
    }
    await pool(exports, 6);

    // The stream's first event, for two (user, tenant) pairs.
    for (let k = 0; k < 2; k++) {
      const u = w.users[(w.n + k) % w.users.length] ?? '';
      const t = w.tenants[(w.n * 7 + k) % w.tenants.length] ?? '';
      const role = oracleRole(w, u, t, now);
      const sse = await openSse(s.url, t, w.tokens.get(u) ?? '');
      cases++;
      try {
        if (role === null) expect(sse.status).toBe(403);
        else {
          expect(sse.status).toBe(200);
          expect(await sse.next()).toMatchObject({ type: 'hello', tenantId: t });
        }
      } finally {
        sse.close();
      }
    }
  }

  /** Pushes from every user into one tenant each: item field edits, movements, forged tenant ids. */
  async function pushCases(w: World, now: Date): Promise<void> {
    clock = now;
    for (const [ui, u] of w.users.entries()) {
      const token = w.tokens.get(u) ?? '';
      const t = w.tenants[(ui + w.n) % w.tenants.length] ?? '';
      const other = w.tenants[(ui + w.n + 1) % w.tenants.length] ?? '';
      const role = oracleRole(w, u, t, now);
      const ov = w.policies[t]?.overrides;
      const ctx = `${u} pushes to ${t} as ${role ?? 'nobody'}`;
      const itemId = w.itemIds.get(t)?.[ui % 3] ?? '';

      // 1. An item edit of one field.
      const field = (['name', 'purchasePrice', 'uom'] as const)[(ui + w.spec.salt) % 3] ?? 'name';
      const before = await tenantState(s.db, t);
      const stored = (await fullDocs(s.db, t)).items.find((d) => d.id === itemId) ?? {};
      const assumed = role ? project(role, 'items', stored, ov) : stored;
      const value =
        field === 'purchasePrice' ? ((w.spec.salt + ui) % 9999) / 100 + 1 : `${field}-${w.n}-${ui}`;
      const r = await api<PushResponse<Doc>>(s.url, `/api/t/${t}/sync/items/push`, {
        token,
        body: {
          changes: [{ assumedMasterState: assumed, newDocumentState: { ...assumed, [field]: value } }],
          audit: auditFor(u, 'items', [{ newDocumentState: assumed }]),
        },
      });
      cases++;
      if (role === null) {
        expect(r.status, ctx).toBe(403);
        expect(await tenantState(s.db, t), ctx).toBe(before);
      } else {
        expect(r.status, ctx).toBe(200);
        const access = fieldAccess(role, 'items', field, ov);
        const star = fieldAccess(role, 'items', 'sku', ov);
        const accepted = access === 'rw' && (star === 'r' || star === 'rw');
        if (accepted) {
          expect(r.body, ctx).toMatchObject({ conflicts: [], rejections: [] });
          const after = (await fullDocs(s.db, t)).items.find((d) => d.id === itemId) ?? {};
          expect(after[field], ctx).toEqual(value);
        } else {
          expect(r.body.rejections.length, ctx).toBe(1);
          expect(await tenantState(s.db, t), ctx).toBe(before);
          // The answer is the master as this role may see it: no hidden key, no unmasked value.
          expect(r.body.conflicts, ctx).toEqual([project(role, 'items', stored, ov)]);
          if (fieldAccess(role, 'items', 'purchasePrice', ov) === '-')
            expect(Object.keys(r.body.conflicts[0] ?? {}), ctx).not.toContain('purchasePrice');
          if (fieldAccess(role, 'items', 'purchasePrice', ov) === 'masked')
            expect(r.body.conflicts[0]?.purchasePrice, ctx).toBe(MASKED);
        }
      }

      // 2. A receipt movement.
      const mv = {
        id: randomUUID(),
        tenantId: t,
        itemId,
        type: 'receipt',
        quantity: 1,
        fromLocationId: null,
        toLocationId: 'L-2',
        batch: null,
        note: null,
        createdAt: now.toISOString(),
        createdBy: 'forged-actor',
        deviceId: 'iso',
        seq: 0,
      };
      const before2 = await tenantState(s.db, t);
      const r2 = await api<PushResponse<Doc>>(s.url, `/api/t/${t}/sync/movements/push`, {
        token,
        body: {
          changes: [{ newDocumentState: mv }],
          audit: auditFor(u, 'movements', [{ newDocumentState: mv }]),
        },
      });
      cases++;
      if (role === null) {
        expect(r2.status, ctx).toBe(403);
        expect(await tenantState(s.db, t), ctx).toBe(before2);
      } else {
        const may = fieldAccess(role, 'movements', 'quantity', ov) === 'rw';
        if (may) {
          expect(r2.body, ctx).toMatchObject({ conflicts: [], rejections: [] });
          const row = await s.db
            .selectFrom('movements')
            .select('created_by')
            .where('id', '=', mv.id)
            .executeTakeFirst();
          expect(row?.created_by, ctx).toBe(u);
        } else {
          expect(
            r2.body.rejections.map((x) => x.code),
            ctx,
          ).toEqual(['forbidden']);
          expect(await tenantState(s.db, t), ctx).toBe(before2);
          for (const c of r2.body.conflicts)
            for (const k of Object.keys(c))
              expect(fieldAccess(role, 'movements', k, ov), `${ctx} ${k}`).not.toBe('-');
        }
      }

      // 3. A forged tenant id in the body: a document of another tenant pushed through this one.
      if (other !== t) {
        const s1 = await tenantState(s.db, t);
        const s2 = await tenantState(s.db, other);
        const forged = { ...mv, id: randomUUID(), tenantId: other };
        const r3 = await api<PushResponse<Doc>>(s.url, `/api/t/${t}/sync/movements/push`, {
          token,
          body: {
            changes: [{ newDocumentState: forged }],
            audit: auditFor(u, 'movements', [{ newDocumentState: forged }]),
          },
        });
        cases++;
        if (role === null) expect(r3.status, ctx).toBe(403);
        else
          expect(
            r3.body.rejections.map((x) => x.code),
            ctx,
          ).toEqual(['wrong-tenant']);
        expect(await tenantState(s.db, t), ctx).toBe(s1);
        expect(await tenantState(s.db, other), ctx).toBe(s2);
      }
    }
  }

  it(`holds for random worlds (≥ ${TARGET[backend] ?? 0} cases)`, async () => {
    const target = TARGET[backend] ?? 1000;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        worldArb(backend === 'postgres' ? 4 : 3, backend === 'postgres' ? 6 : 4),
        async (spec) => {
          if (cases >= target) return;
          const t1 = new Date(
            Date.UTC(2031, 0, 1) + (worlds % 400) * 86_400_000 + (spec.salt % 86_400) * 1000,
          );
          const w = await insertWorld(s.db, spec, worlds++, t1, JWT_SECRET);
          await readCases(w, w.t1);
          await pushCases(w, w.t1);
          await readCases(w, w.t2);
        },
      ),
      { seed: SEED, numRuns: 1000, endOnFailure: true },
    );
    console.log(
      `isolation: ${cases} cases, seed ${SEED} (${backend}, ${worlds} worlds, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    expect(cases).toBeGreaterThanOrEqual(target);
  }, 600_000);
});
