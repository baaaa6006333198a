import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditVerifyAnswer } from '../../../shared/api/audit.js';
import { randomUUID } from 'node:crypto';
import { stableUuid } from '../../../server/db/seed.js';
import { verifyTenantChain } from '../../../server/audit/log.js';
import { itemRowToDoc } from '../../../server/sync/mapping.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditEntry, integrationBackends, startTestServer } from '../../helpers/server.js';
import type { Doc, Session } from './client.js';
import { cosigned, movement, pulledItem, pushChanges, session, writeOff } from './client.js';

const backends = await integrationBackends();
const SEED = Number(process.env.AUDIT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const T = 'acme';
const ITEMS = 6;

type Op =
  | { kind: 'edit'; user: 'admin' | 'mgr' | 'fin'; item: number; pending: number }
  | {
      kind: 'move';
      user: 'op' | 'mgr' | 'admin';
      count: number;
      destructive: ('none' | 'ok' | 'missing' | 'wrong' | 'big' | 'big-cosigned')[];
    }
  | { kind: 'repeat'; user: 'op' | 'mgr' }
  | { kind: 'no-audit'; user: 'op' | 'admin' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('edit' as const),
    user: fc.constantFrom('admin' as const, 'mgr' as const, 'fin' as const),
    item: fc.integer({ min: 1, max: ITEMS }),
    pending: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('move' as const),
    user: fc.constantFrom('op' as const, 'mgr' as const, 'admin' as const),
    count: fc.integer({ min: 1, max: 4 }),
    destructive: fc.array(fc.constantFrom('none', 'none', 'ok', 'missing', 'wrong', 'big', 'big-cosigned'), {
      minLength: 4,
      maxLength: 4,
    }),
  }),
  fc.record({ kind: fc.constant('repeat' as const), user: fc.constantFrom('op' as const, 'mgr' as const) }),
  fc.record({
    kind: fc.constant('no-audit' as const),
    user: fc.constantFrom('op' as const, 'admin' as const),
  }),
);

describe.each(backends)('audit completeness (%s)', (backend) => {
  let s: TestServer;
  const users: Record<string, Session> = {};

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: ITEMS } });
    for (const [k, u] of Object.entries({
      op: 'op.acme',
      mgr: 'mgr',
      admin: 'admin.acme',
      fin: 'fin.acme',
      aud: 'aud.acme',
    }))
      users[k] = await session(s.url, u);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('binds every accepted change to exactly one chain entry; the chain verifies', async () => {
    const pushedMovements: { doc: Doc; user: Session }[] = [];
    const refusedMovements = new Set<string>();
    let accepted = 0;
    const u = (k: string): Session => users[k] as Session;

    const run = async (op: Op): Promise<void> => {
      if (op.kind === 'edit') {
        const as = u(op.user);
        const id = stableUuid(`${T}/item/${op.item}`);
        const master = await pulledItem(s.url, as, T, id);
        const next =
          op.user === 'fin'
            ? { ...master, purchasePrice: Math.round(Math.random() * 10_000) / 100 }
            : { ...master, name: `Name ${randomUUID().slice(0, 8)}` };
        // Offline: several local edits collapsed into one document, each with its entry.
        const entries = Array.from({ length: op.pending }, (_, i) =>
          auditEntry(as.userId, 'items', id, { reason: `edit ${i}` }),
        );
        const r = await pushChanges(
          s.url,
          as,
          T,
          'items',
          [{ assumedMasterState: master, newDocumentState: next }],
          entries,
        );
        if (r.body.rejections.length === 0 && r.body.conflicts.length === 0) accepted += 1;
        return;
      }
      if (op.kind === 'move') {
        const as = u(op.user);
        const docs: Doc[] = [];
        const entries = [];
        for (let i = 0; i < op.count; i++) {
          const d = op.destructive[i] ?? 'none';
          const doc =
            d === 'none' ? movement(T, { quantity: 1 + i }) : writeOff(T, d.startsWith('big') ? 1500 : 2, 2);
          const typed = d === 'wrong' ? 'nope' : 'ACME-000002';
          const subject = {
            tenantId: T,
            entity: 'movements',
            entityId: doc.id,
            action: 'create',
            typed,
            reason: 'counted',
          };
          const confirmation =
            d === 'none' || d === 'missing'
              ? null
              : d === 'big-cosigned'
                ? await cosigned(as.userId === u('mgr').userId ? u('admin') : u('mgr'), subject)
                : { typed, reason: 'counted' };
          docs.push(doc);
          entries.push(auditEntry(as.userId, 'movements', doc.id, { action: 'create', confirmation }));
        }
        const r = await pushChanges(
          s.url,
          as,
          T,
          'movements',
          docs.map((d) => ({ newDocumentState: d })),
          entries,
        );
        const refused = new Set(r.body.rejections.map((x) => x.id));
        docs.forEach((d, i) => {
          const kind = op.destructive[i] ?? 'none';
          const shouldFail = ['missing', 'wrong', 'big'].includes(kind);
          expect(refused.has(String(d.id)), `${kind}`).toBe(shouldFail);
          if (refused.has(String(d.id))) refusedMovements.add(String(d.id));
          else {
            pushedMovements.push({ doc: d, user: as });
            accepted += 1;
          }
        });
        return;
      }
      if (op.kind === 'repeat') {
        const prev = pushedMovements.find((p) => p.user.userId === u(op.user).userId) ?? pushedMovements[0];
        if (!prev) return;
        // A retried push after a lost answer: a fresh entry, the same movement — no new entry.
        const r = await pushChanges(s.url, prev.user, T, 'movements', [{ newDocumentState: prev.doc }]);
        expect(r.body.rejections).toEqual([]);
        return;
      }
      const as = u(op.user);
      const doc = movement(T);
      const r = await pushChanges(s.url, as, T, 'movements', [{ newDocumentState: doc }], []);
      expect(r.body.rejections.map((x) => x.code)).toEqual(['audit-missing']);
      refusedMovements.add(doc.id);
    };

    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 12 }), async (ops) => {
        // Two users at a time: pushes from different PCs interleave on the server.
        for (let i = 0; i < ops.length; i += 2) await Promise.all(ops.slice(i, i + 2).map(run));
      }),
      { seed: SEED, numRuns: backend === 'postgres' ? 40 : 20, endOnFailure: true },
    );

    // Movements: one entry per stored row pushed here, none for refused ones.
    const entries = await s.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', T)
      .orderBy('seq')
      .execute();
    const perEntity = new Map<string, typeof entries>();
    for (const e of entries) perEntity.set(e.entity_id, [...(perEntity.get(e.entity_id) ?? []), e]);
    const rows = await s.db
      .selectFrom('movements')
      .select('id')
      .where('tenant_id', '=', T)
      .where('created_by', '!=', 'seed')
      .execute();
    expect(rows.length).toBe(new Set(pushedMovements.map((p) => p.doc.id)).size);
    for (const r of rows) expect(perEntity.get(r.id)?.length, r.id).toBe(1);
    for (const id of refusedMovements) expect(perEntity.get(id), id).toBeUndefined();
    // Items: the entries of each item form its history: each before is the previous after, the last
    // after is the stored row.
    for (let n = 1; n <= ITEMS; n++) {
      const id = stableUuid(`${T}/item/${n}`);
      const list = perEntity.get(id) ?? [];
      for (let i = 1; i < list.length; i++) expect(list[i]?.before).toEqual(list[i - 1]?.after);
      if (list.length > 0) {
        const stored = itemRowToDoc(
          await s.db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
        );
        expect(list[list.length - 1]?.after).toEqual(JSON.parse(JSON.stringify(stored)));
      }
    }
    const itemEntries = entries.filter((e) => e.entity === 'items').length;
    expect(itemEntries + rows.length).toBe(accepted);
    // The whole chain verifies, by the route (auditor) and over full rows as the owner.
    const v = await api<AuditVerifyAnswer>(s.url, `/api/t/${T}/audit/verify`, { token: u('aud').token });
    expect(v.body).toMatchObject({ ok: true, length: entries.length });
    expect((await verifyTenantChain(s.db, T)).ok).toBe(true);
    console.log(
      `audit completeness: seed ${SEED} (${backend}), ${accepted} accepted changes, ${entries.length} entries`,
    );
  }, 300_000);
});
