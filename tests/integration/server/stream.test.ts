import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUserId, stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditFor, integrationBackends, login, openSse, startTestServer } from '../../helpers/server.js';

/** A movements push body with one audit entry per change. */
const withAudit = (actor: string, changes: { newDocumentState: Record<string, unknown> }[]) => ({
  changes,
  audit: auditFor(actor, 'movements', changes),
});

const backends = await integrationBackends();

const receipt = (tenant: string) => ({
  id: randomUUID(),
  tenantId: tenant,
  itemId: stableUuid(`${tenant}/item/2`),
  type: 'receipt',
  quantity: 4,
  fromLocationId: null,
  toLocationId: 'A-15-09',
  batch: 'L1',
  note: null,
  createdAt: new Date().toISOString(),
  createdBy: 'x',
  deviceId: 'd',
  seq: 0,
});

describe.each(backends)('change stream (%s)', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    // A short heartbeat so the membership re-check is observable without waiting 15 s.
    s = await startTestServer({ backend, seed: { itemsPerTenant: 5 }, heartbeatMs: 300 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("says hello with the tenant's seq, then announces another user's push", async () => {
    const op = await login(s.url, 'op.acme');
    const mgr = await login(s.url, 'mgr');
    const acme = await openSse(s.url, 'acme', op.accessToken);
    const globex = await openSse(s.url, 'globex', mgr.accessToken);
    try {
      expect(acme.status).toBe(200);
      expect(acme.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const hello = await acme.next((e) => e.type === 'hello');
      const seq = Number(
        (
          await s.db
            .selectFrom('tenant_seq')
            .select('last_seq')
            .where('tenant_id', '=', 'acme')
            .executeTakeFirstOrThrow()
        ).last_seq,
      );
      expect(hello).toEqual({ type: 'hello', tenantId: 'acme', seq });
      await globex.next((e) => e.type === 'hello');

      const r = await api(s.url, '/api/t/acme/sync/movements/push', {
        token: mgr.accessToken,
        body: withAudit(demoUserId('mgr'), [{ newDocumentState: receipt('acme') }]),
      });
      expect(r.status).toBe(200);
      const change = await acme.next((e) => e.type === 'change');
      expect(change).toEqual({
        type: 'change',
        tenantId: 'acme',
        seq: seq + 1,
        collections: ['movements', 'balances'],
      });

      // The globex stream heard nothing of acme: its first change is globex's own.
      await api(s.url, '/api/t/globex/sync/movements/push', {
        token: mgr.accessToken,
        body: withAudit(demoUserId('mgr'), [{ newDocumentState: receipt('globex') }]),
      });
      const g = await globex.next((e) => e.type === 'change');
      expect(g).toMatchObject({ type: 'change', tenantId: 'globex' });
    } finally {
      acme.close();
      globex.close();
    }
  });

  it('does not announce a push that changed nothing', async () => {
    const op = await login(s.url, 'op.acme');
    const fin = await login(s.url, 'fin.acme');
    const stream = await openSse(s.url, 'acme', op.accessToken);
    try {
      await stream.next((e) => e.type === 'hello');
      // Rejected (finance may not move stock): nothing committed, so no change event …
      await api(s.url, '/api/t/acme/sync/movements/push', {
        token: fin.accessToken,
        body: { changes: [{ newDocumentState: receipt('acme') }] },
      });
      // … which the next real change proves by arriving first.
      const m = receipt('acme');
      await api(s.url, '/api/t/acme/sync/movements/push', {
        token: op.accessToken,
        body: withAudit(demoUserId('op.acme'), [{ newDocumentState: m }]),
      });
      const change = await stream.next((e) => e.type === 'change');
      const row = await s.db
        .selectFrom('movements')
        .select('seq')
        .where('id', '=', m.id)
        .executeTakeFirstOrThrow();
      expect(change).toMatchObject({ seq: Number(row.seq) });
    } finally {
      stream.close();
    }
  });

  it('ends the stream with membership-revoked when the membership expires', async () => {
    const aud = await login(s.url, 'aud.acme');
    const stream = await openSse(s.url, 'acme', aud.accessToken);
    try {
      await stream.next((e) => e.type === 'hello');
      await s.db
        .updateTable('memberships')
        .set({ valid_until: sql`now() - interval '1 second'` })
        .where('user_id', '=', demoUserId('aud.acme'))
        .execute();
      const ev = await stream.next((e) => e.type !== 'hello', 5000);
      expect(ev).toEqual({ type: 'membership-revoked', tenantId: 'acme' });
    } finally {
      stream.close();
    }
  });
});

// PostgreSQL only: the stream's setup is held inside the database (PGlite has one connection).
describe.runIf(backends.includes('postgres'))('a stream still being set up when shutdown begins', () => {
  it('is answered 503 and does not hold the shutdown (soak seed 1100000128)', async () => {
    const s2 = await startTestServer({ backend: 'postgres', seed: { itemsPerTenant: 2 } });
    const token = (await login(s2.url, 'mgr')).accessToken;
    const ac = new AbortController();
    let stream: Promise<Response> | undefined;
    let closing: Promise<void> | undefined;
    try {
      await s2.db.transaction().execute(async (trx) => {
        // Hold the stream in its scope read: memberships are locked until this transaction ends.
        await sql`LOCK TABLE memberships IN ACCESS EXCLUSIVE MODE`.execute(trx);
        stream = fetch(`${s2.url}/api/t/acme/sync/stream`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          signal: ac.signal,
        });
        stream.catch(() => undefined);
        await lockWaited(s2);
        // Shutdown begins (the open streams are ended) while this one is still being set up.
        closing = s2.app.close();
        // New requests are refused (503, or the port no longer listens) once closing has begun.
        await refusing(s2);
      });
      const res = await stream!;
      expect(res.status).toBe(503);
      // Closing completes although this client never hung up.
      expect(await closedWithin(closing!, 10_000)).toBe('closed');
    } finally {
      ac.abort();
      await s2.close();
    }
  });

  it('a pull still being answered is answered in full and its kept-alive connection does not hold the shutdown', async () => {
    const s2 = await startTestServer({ backend: 'postgres', seed: { itemsPerTenant: 2 } });
    const token = (await login(s2.url, 'mgr')).accessToken;
    let pull: Promise<Response> | undefined;
    let closing: Promise<void> | undefined;
    try {
      await s2.db.transaction().execute(async (trx) => {
        // Hold the pull in its scope read, as above; fetch keeps its connection alive.
        await sql`LOCK TABLE memberships IN ACCESS EXCLUSIVE MODE`.execute(trx);
        pull = fetch(`${s2.url}/api/t/acme/sync/items/pull?limit=10`, {
          headers: { authorization: `Bearer ${token}` },
        });
        pull.catch(() => undefined);
        await lockWaited(s2);
        closing = s2.app.close();
        await refusing(s2);
      });
      const res = await pull!;
      expect(res.status).toBe(200);
      expect(res.headers.get('connection')).toBe('close');
      expect(((await res.json()) as { documents: unknown[] }).documents.length).toBeGreaterThan(0);
      // Without `connection: close` the idle socket holds the close for the keep-alive timeout (72 s).
      expect(await closedWithin(closing!, 10_000)).toBe('closed');
    } finally {
      await s2.close();
    }
  });
});

/** 'closed' once `closing` resolves, or a description after `ms`. */
const closedWithin = (closing: Promise<void>, ms: number) =>
  Promise.race([
    closing.then(() => 'closed'),
    new Promise<string>((r) => setTimeout(() => r(`still waiting after ${ms} ms`), ms)),
  ]);

/** Resolves once a query of the test server's database waits for a lock. */
async function lockWaited(s2: TestServer): Promise<void> {
  const waiting = async () => {
    const w = await sql<{ n: number | string }>`SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(s2.db);
    return Number(w.rows[0]?.n) > 0;
  };
  for (let i = 0; !(await waiting()); i++) {
    if (i > 400) throw new Error('the request never waited for the lock');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves once the server refuses new requests (503, or the port no longer listens). */
async function refusing(s2: TestServer): Promise<void> {
  for (let i = 0; (await fetch(`${s2.url}/api/health`).catch(() => null))?.status === 200; i++) {
    if (i > 400) throw new Error('the server never started closing');
    await new Promise((r) => setTimeout(r, 25));
  }
}
