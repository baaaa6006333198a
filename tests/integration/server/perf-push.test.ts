/**
 * The push fast paths of issue #8 keep their behaviour: the anomaly rules advanced from the stored
 * burst state raise exactly what `evaluateAlerts` over all the events raises (in order, out of
 * order, continued), and parallel pushes of one tenant keep gap-free sequences, one verified audit
 * chain and exact balances.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import type { ActivityEvent } from '../../../shared/alerts/rules.js';
import { evaluateAlerts } from '../../../shared/alerts/rules.js';
import { stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditEntry, integrationBackends, startTestServer } from '../../helpers/server.js';
import type { Session } from '../audit/client.js';
import { movement, pushChanges, session } from '../audit/client.js';

const backends = await integrationBackends();
const T = 'acme';

describe.each(backends)('push fast paths (%s)', (backend) => {
  let s: TestServer;
  let op: Session;

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 5 } });
    op = await session(s.url, 'op.acme');
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Pushes one movement per device time, each with its audit entry at that device time. */
  const pushAt = async (times: number[]) => {
    const changes = times.map((t) => ({
      newDocumentState: movement(T, { createdAt: new Date(t).toISOString() }),
    }));
    const audit = changes.map((c, i) =>
      auditEntry(op.userId, 'movements', String(c.newDocumentState.id), {
        action: 'create',
        deviceTime: new Date(times[i] as number).toISOString(),
      }),
    );
    const r = await pushChanges(s.url, op, T, 'movements', changes, audit);
    expect(r.status).toBe(200);
    expect(r.body.rejections).toEqual([]);
  };

  /** The rapid-changes alerts stored for the operator, in the shape evaluateAlerts drafts them. */
  const storedRapid = async () =>
    (
      await s.db
        .selectFrom('alerts')
        .select(['dedup_key', 'count', 'window_start', 'window_end'])
        .where('tenant_id', '=', T)
        .where('user_id', '=', op.userId)
        .where('rule', '=', 'rapid-changes')
        .orderBy('window_start')
        .execute()
    ).map((r) => ({
      dedupKey: r.dedup_key,
      count: Number(r.count),
      windowStart: new Date(r.window_start).toISOString(),
      windowEnd: new Date(r.window_end).toISOString(),
    }));

  /** What the shared rules raise over every change event pushed so far, all at once. */
  const expected = (times: number[]) => {
    const events: ActivityEvent[] = times.map((t) => ({
      tenantId: T,
      userId: op.userId,
      at: new Date(t).toISOString(),
      kind: 'change',
    }));
    return evaluateAlerts(events, DEFAULT_TENANT_SETTINGS, new Date())
      .filter((d) => d.rule === 'rapid-changes')
      .map((d) => ({
        dedupKey: d.dedupKey,
        count: d.count,
        windowStart: d.windowStart,
        windowEnd: d.windowEnd,
      }))
      .sort((a, b) => a.windowStart.localeCompare(b.windowStart));
  };

  it('raises what evaluateAlerts over all events raises, pushed in order, out of order, then continued', async () => {
    // Whole seconds, well in the past: every event lies inside the rules' look-back of the others.
    const base = Math.floor((Date.now() - 12 * 60_000) / 1000) * 1000;
    const pushed: number[] = [];
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => base + (from + i) * 1000);

    for (const from of [0, 30, 60]) {
      const times = range(from, 30);
      await pushAt(times);
      pushed.push(...times);
    }
    // The counted rule went on from a stored state (not from a re-read window).
    const state = await sql<{
      state: { last: number; burst: { count: number } | null };
    }>`SELECT state FROM activity_state WHERE tenant_id = ${T} AND user_id = ${op.userId} AND kind = 'change'`.execute(
      s.db,
    );
    expect(state.rows).toHaveLength(1);
    const st = state.rows[0]?.state;
    const parsed = (typeof st === 'string' ? JSON.parse(st) : st) as {
      last: number;
      burst: { count: number };
    };
    expect(parsed.last).toBe(base + 89_000);
    expect(parsed.burst.count).toBe(90);
    expect(await storedRapid()).toEqual(expected(pushed));
    expect((await storedRapid())[0]?.count).toBe(90);

    // An offline backlog from ten minutes earlier: older than the state, so the window is re-read.
    const older = Array.from({ length: 45 }, (_, i) => base - 10 * 60_000 + i * 1000);
    await pushAt(older);
    pushed.push(...older);
    expect(await storedRapid()).toEqual(expected(pushed));
    expect(await storedRapid()).toHaveLength(2);

    // Back in order: the first burst goes on.
    const later = range(90, 5);
    await pushAt(later);
    pushed.push(...later);
    const final = await storedRapid();
    expect(final).toEqual(expected(pushed));
    expect(final.map((a) => a.count).sort((a, b) => a - b)).toEqual([45, 95]);
  });

  it('keeps sequences, the audit chain and balances exact under four parallel clients', async () => {
    const admin = await session(s.url, 'admin.acme');
    const before = await s.db
      .selectFrom('tenant_seq')
      .select(['last_seq', 'audit_seq'])
      .where('tenant_id', '=', T)
      .executeTakeFirstOrThrow();
    const itemId = stableUuid(`${T}/item/2`);
    const balanceOf = async () =>
      Number(
        (
          await s.db
            .selectFrom('balances')
            .select('quantity')
            .where('tenant_id', '=', T)
            .where('item_id', '=', itemId)
            .where('location_id', '=', 'A-09-09')
            .executeTakeFirst()
        )?.quantity ?? 0,
      );
    const start = await balanceOf();
    const clients = [op, admin, await session(s.url, 'op.acme'), await session(s.url, 'admin.acme')];
    const ids: string[] = [];
    await Promise.all(
      clients.map(async (c) => {
        for (let b = 0; b < 4; b++) {
          const changes = Array.from({ length: 15 }, () => ({
            newDocumentState: movement(T, { itemId, toLocationId: 'A-09-09', quantity: 2 }),
          }));
          ids.push(...changes.map((x) => String(x.newDocumentState.id)));
          const r = await pushChanges(s.url, c, T, 'movements', changes);
          expect(r.status).toBe(200);
          expect(r.body.rejections).toEqual([]);
        }
      }),
    );
    expect(ids).toHaveLength(240);
    const rows = await s.db
      .selectFrom('movements')
      .select(['id', 'seq'])
      .where('tenant_id', '=', T)
      .where('id', 'in', ids)
      .execute();
    expect(rows).toHaveLength(240);
    const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
    // Gap-free and unique: exactly the 240 numbers after the counter as it was.
    expect(seqs).toEqual(Array.from({ length: 240 }, (_, i) => Number(before.last_seq) + 1 + i));
    const after = await s.db
      .selectFrom('tenant_seq')
      .select(['last_seq', 'audit_seq'])
      .where('tenant_id', '=', T)
      .executeTakeFirstOrThrow();
    expect(Number(after.last_seq)).toBe(Number(before.last_seq) + 240);
    expect(Number(after.audit_seq)).toBe(Number(before.audit_seq) + 240);
    expect(await balanceOf()).toBe(start + 480);
    const verify = await api<{ ok: boolean; length: number }>(s.url, `/api/t/${T}/audit/verify`, {
      token: admin.token,
    });
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
    expect(verify.body.length).toBe(Number(after.audit_seq));
  });
});
