/**
 * The push's merged statements (issue #8, third server pass) store exactly what was pushed: rows
 * travel as one JSON parameter (json_populate_recordset) and the audit entries, chain head, counter
 * and notification are one statement from the head read under the push's lock. Unusual values
 * survive the round trip, and an append from a head that is not the stored one stores nothing.
 * The push's writes (movements with their balances, item creations) and its activity (events,
 * burst state, alerts) ride in that statement too (fifth pass): a push of movements or item
 * creations is four statements besides BEGIN and COMMIT.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudits, verifyTenantChain } from '../../../server/audit/log.js';
import { ScopeGuard } from '../../../server/db/guard.js';
import { withTenantSystemScope } from '../../../server/db/scope.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, startTestServer } from '../../helpers/server.js';
import type { Session } from '../audit/client.js';
import { movement, pushChanges, session } from '../audit/client.js';

/**
 * Counts the statements the server's Kysely instances run from now on (every query passes the
 * scope guard plugin; BEGIN and COMMIT do not): `take` reads and resets.
 */
function countStatements(): { take: () => number; restore: () => void } {
  let n = 0;
  const proto = ScopeGuard.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with its own `this`
  const original = proto.transformQuery;
  proto.transformQuery = function (this: ScopeGuard, args) {
    n += 1;
    return original.call(this, args);
  };
  return {
    take: () => {
      const v = n;
      n = 0;
      return v;
    },
    restore: () => {
      proto.transformQuery = original;
    },
  };
}

const backends = await integrationBackends();
const T = 'acme';

describe.each(backends)('push statements (%s)', (backend) => {
  let s: TestServer;
  let op: Session;

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 5 } });
    op = await session(s.url, 'op.acme');
  });
  afterAll(async () => {
    await s?.close();
  });

  const counter = async () => {
    const r = await s.db
      .selectFrom('tenant_seq')
      .select(['last_seq', 'audit_seq', 'audit_head'])
      .where('tenant_id', '=', T)
      .executeTakeFirstOrThrow();
    return { lastSeq: Number(r.last_seq), auditSeq: Number(r.audit_seq), head: r.audit_head };
  };

  it('stores pushed movements, balances and audit snapshots exactly, with unusual values', async () => {
    const before = await counter();
    const note = 'quote " backslash \\ newline \n tab \t unicode 仓库 emoji 📦 nul-free';
    const docs = [
      movement(T, {
        quantity: 0.125,
        note,
        batch: 'LOT-"7"',
        expiresAt: '2027-01-31',
        toLocationId: 'A-13-09',
      }),
      movement(T, { quantity: 3, createdAt: '2026-11-26T10:00:00.123+02:00', toLocationId: 'A-13-09' }),
      movement(T, {
        type: 'transfer',
        quantity: 1.5,
        fromLocationId: 'A-13-09',
        toLocationId: 'A-14-09',
        batch: null,
      }),
    ];
    const r = await pushChanges(
      s.url,
      op,
      T,
      'movements',
      docs.map((d) => ({ newDocumentState: d })),
    );
    expect(r.status).toBe(200);
    expect(r.body.rejections).toEqual([]);

    // The counter and the chain moved together, by one per accepted change.
    const after = await counter();
    expect(after.lastSeq).toBe(before.lastSeq + 3);
    expect(after.auditSeq).toBe(before.auditSeq + 3);
    const last = await s.db
      .selectFrom('audit_log')
      .select(['hash', 'after'])
      .where('tenant_id', '=', T)
      .orderBy('seq', 'desc')
      .limit(3)
      .execute();
    expect(last[0]?.hash).toBe(after.head);
    expect((await verifyTenantChain(s.db, T)).ok).toBe(true);

    // Pulled back as pushed (the server sets seq, createdBy and normalizes createdAt).
    const pulled = await api<{ documents: Record<string, unknown>[] }>(
      s.url,
      `/api/t/${T}/sync/movements/pull?limit=5000`,
      { token: op.token },
    );
    const byId = new Map(pulled.body.documents.map((d) => [d.id, d]));
    for (const d of docs) {
      const got = byId.get(d.id);
      expect(got).toMatchObject({
        quantity: d.quantity,
        note: d.note,
        batch: d.batch,
        fromLocationId: d.fromLocationId,
        toLocationId: d.toLocationId,
        createdAt: new Date(d.createdAt).toISOString(),
        createdBy: op.userId,
      });
    }
    expect(byId.get(docs[0]?.id)?.expiresAt).toBe('2027-01-31');
    // Each audit snapshot is stored as a jsonb object (not a JSON string holding its text).
    for (const x of last) expect(typeof x.after).toBe('object');
    expect(last.map((x) => (x.after as { note?: unknown }).note)).toContain(note);

    // Balances: the delta sums, the expiry kept with the batch.
    const balances = await s.db
      .selectFrom('balances')
      .select(['location_id', 'batch', 'quantity', 'expires_at'])
      .where('tenant_id', '=', T)
      .where('location_id', 'in', ['A-13-09', 'A-14-09'])
      .orderBy('location_id')
      .orderBy('batch')
      .execute();
    expect(
      balances.map((b) => ({ ...b, quantity: Number(b.quantity) })).filter((b) => b.quantity !== 0),
    ).toEqual([
      { location_id: 'A-13-09', batch: 'LOT-"7"', quantity: 0.125, expires_at: '2027-01-31' },
      { location_id: 'A-13-09', batch: null, quantity: 1.5, expires_at: null },
      { location_id: 'A-14-09', batch: null, quantity: 1.5, expires_at: null },
    ]);
  });

  it('refuses an append from a head that is not the stored one and stores nothing', async () => {
    const before = await counter();
    const entries = [
      {
        tenantId: T,
        actorId: op.userId,
        action: 'update',
        entity: 'items',
        entityId: 'x',
        after: { a: 1 },
        at: new Date(),
      },
    ];
    // A head ahead of the stored one (its rows would not collide): the guard refuses the move.
    await expect(
      withTenantSystemScope(s.database, T, (tx) =>
        appendAudits(tx, entries, { head: { seq: before.auditSeq + 1, hash: 'f'.repeat(64) }, lastSeq: 999 }),
      ),
    ).rejects.toThrow(/chain head .* moved/);
    // A head behind it: the entry's sequence number is taken.
    await expect(
      withTenantSystemScope(s.database, T, (tx) =>
        appendAudits(tx, entries, { head: { seq: before.auditSeq - 1, hash: before.head } }),
      ),
    ).rejects.toThrow();
    expect(await counter()).toEqual(before);
    const n = await sql<{
      n: string | number;
    }>`SELECT count(*) AS n FROM audit_log WHERE tenant_id = ${T}`.execute(s.db);
    expect(Number(n.rows[0]?.n)).toBe(before.auditSeq);
    expect((await verifyTenantChain(s.db, T)).ok).toBe(true);

    // From the stored head the same append goes through, and the chain still verifies.
    await withTenantSystemScope(s.database, T, (tx) =>
      appendAudits(tx, entries, { head: { seq: before.auditSeq, hash: before.head } }),
    );
    expect((await counter()).auditSeq).toBe(before.auditSeq + 1);
    expect((await verifyTenantChain(s.db, T)).ok).toBe(true);
  });

  it('writes rows and activity in the audit statement: four statements per push, same events and state', async () => {
    const admin = await session(s.url, 'admin.acme');
    const activityOf = async (userId: string) =>
      Number(
        (
          await sql<{
            n: string | number;
          }>`SELECT count(*) AS n FROM activity WHERE tenant_id = ${T} AND user_id = ${userId} AND kind = 'change'`.execute(
            s.db,
          )
        ).rows[0]?.n,
      );
    const stateOf = async (userId: string) => {
      const r = await sql<{
        state: unknown;
      }>`SELECT state FROM activity_state WHERE tenant_id = ${T} AND user_id = ${userId} AND kind = 'change'`.execute(
        s.db,
      );
      const st = r.rows[0]?.state;
      return (typeof st === 'string' ? JSON.parse(st) : st) as { last: number; recent: number[] } | undefined;
    };
    const newItem = () => ({
      newDocumentState: {
        id: randomUUID(),
        tenantId: T,
        sku: `STMT-${randomUUID().slice(0, 8)}`,
        name: 'Statement item',
        barcode: null,
        uom: 'pcs',
        updatedAt: new Date().toISOString(),
        seq: 0,
      },
    });
    // The first push of each user stores its burst state (no state yet: recorded after the push).
    expect((await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: movement(T) }])).status).toBe(
      200,
    );
    expect(
      (await pushChanges(s.url, admin, T, 'items', [newItem()], undefined, { action: 'create' })).status,
    ).toBe(200);

    const count = countStatements();
    try {
      const opBefore = await activityOf(op.userId);
      const stateBefore = await stateOf(op.userId);
      expect(stateBefore).toBeDefined();
      count.take();
      const docs = Array.from({ length: 12 }, () => ({ newDocumentState: movement(T) }));
      const r = await pushChanges(s.url, op, T, 'movements', docs);
      const statements = count.take();
      expect(r.status).toBe(200);
      expect(r.body.rejections).toEqual([]);
      // Session and memberships, policy and counter lock, prefetch (with the burst states), then
      // one statement: movements and their balances, audit entries, chain head, counter,
      // notification, activity, burst state and alerts. Was seven before they rode along.
      // PGlite: one more, the SET LOCAL ROLE of every app transaction.
      const perPush = backend === 'pglite' ? 5 : 4;
      expect(statements).toBe(perPush);
      expect(await activityOf(op.userId)).toBe(opBefore + 12);
      const st = await stateOf(op.userId);
      expect(st?.last).toBeGreaterThanOrEqual(stateBefore?.last ?? Infinity);
      expect(st).not.toEqual(stateBefore);

      const adminBefore = await activityOf(admin.userId);
      count.take();
      const items = Array.from({ length: 7 }, newItem);
      // Floor fields as the item creation stores them (barcodes is a jsonb array, not its text).
      const floor = {
        barcodes: ['CASE-1', 'old "label" 仓'],
        lengthCm: 12.5,
        batchTracked: true,
        minStock: 3,
      };
      Object.assign(items[0]?.newDocumentState ?? {}, floor, { purchasePrice: 0.125 });
      const ri = await pushChanges(s.url, admin, T, 'items', items, undefined, { action: 'create' });
      expect(count.take()).toBe(perPush);
      expect(ri.status).toBe(200);
      expect(ri.body.rejections).toEqual([]);
      expect(await activityOf(admin.userId)).toBe(adminBefore + 7);
      const pulled = await api<{ documents: Record<string, unknown>[] }>(
        s.url,
        `/api/t/${T}/sync/items/pull?limit=5000`,
        { token: admin.token },
      );
      const first = pulled.body.documents.find((d) => d.id === items[0]?.newDocumentState.id);
      expect(first).toMatchObject({ ...floor, purchasePrice: 0.125, widthCm: null, expiryTracked: false });
      const stored = await s.db
        .selectFrom('items')
        .select('barcodes')
        .where('tenant_id', '=', T)
        .where('id', '=', String(items[0]?.newDocumentState.id))
        .executeTakeFirstOrThrow();
      const barcodes: unknown =
        typeof stored.barcodes === 'string' ? (JSON.parse(stored.barcodes) as unknown) : stored.barcodes;
      expect(barcodes).toEqual(floor.barcodes);
    } finally {
      count.restore();
    }
    expect((await verifyTenantChain(s.db, T)).ok).toBe(true);
  });

  it('raises first-grant-access on the first push through a grant, once, with the push recorded', async () => {
    const requester = await session(s.url, 'op.initech');
    const admin = await session(s.url, 'admin.acme');
    const req = await api<{ id: string }>(s.url, '/api/grants', {
      token: requester.token,
      body: {
        tenantId: T,
        role: 'operator',
        validFrom: new Date(Date.now() - 60_000).toISOString(),
        validUntil: new Date(Date.now() + 3600_000).toISOString(),
        reason: 'stocktake help',
      },
    });
    expect(
      (await api(s.url, `/api/grants/${req.body.id}/approve`, { token: admin.token, body: {} })).status,
    ).toBe(200);
    const firstAccess = async () =>
      Number(
        (
          await sql<{
            n: string | number;
          }>`SELECT count(*) AS n FROM alerts WHERE tenant_id = ${T} AND user_id = ${requester.userId} AND rule = 'first-grant-access'`.execute(
            s.db,
          )
        ).rows[0]?.n,
      );
    // Two pushes: the first has no burst state yet (recorded after it), the second rides along.
    for (let i = 0; i < 2; i++) {
      const r = await pushChanges(s.url, requester, T, 'movements', [{ newDocumentState: movement(T) }]);
      expect(r.status).toBe(200);
      expect(r.body.rejections).toEqual([]);
    }
    expect(await firstAccess()).toBe(1);
    const events = await sql<{
      kind: string;
      n: string | number;
    }>`SELECT kind, count(*) AS n FROM activity WHERE tenant_id = ${T} AND user_id = ${requester.userId} GROUP BY kind ORDER BY kind`.execute(
      s.db,
    );
    expect(events.rows.map((r) => [r.kind, Number(r.n)])).toEqual([
      ['change', 2],
      ['grant-first-access', 1],
    ]);
  });
});
