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
