/**
 * The server refuses movements to or from bins it does not know, and movements into a deactivated
 * bin (issue #5): the UI refuses them too, but the boundary is the server's. A refused movement is
 * answered like every other refusal (a rejection plus a conflict, never an HTTP error) and leaves
 * nothing behind: no movement, no audit entry, no balance change. Stock may still leave a
 * deactivated bin (deactivation is refused while a bin holds stock; what a concurrent or offline
 * push left there must remain movable).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteLocation } from '../../../shared/api/sites.js';
import { verifyTenantChain } from '../../../server/audit/log.js';
import { demoBinOf } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';
import type { Session } from '../audit/client.js';
import { movement, pushChanges, session } from '../audit/client.js';

const backends = await integrationBackends();
const T = 'acme';

describe.each(backends)('movement bins checked on push (%s)', (backend) => {
  let s: TestServer;
  let op: Session;
  let adminToken = '';

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 5 } });
    op = await session(s.url, 'op.acme');
    adminToken = (await login(s.url, 'admin.acme')).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  /** The tenant's movements, audit chain, counter and balances (what a refused push must not touch). */
  const state = async () => {
    const q = async (table: string) => {
      const r = await sql<{ n: number | string; h: string | null }>`
        SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${sql.table(table)} t
        WHERE t.tenant_id = ${T}`.execute(s.db);
      return `${table}:${r.rows[0]?.n}:${r.rows[0]?.h}`;
    };
    return [await q('movements'), await q('audit_log'), await q('tenant_seq'), await q('balances')];
  };
  const push = (docs: ReturnType<typeof movement>[]) =>
    pushChanges(
      s.url,
      op,
      T,
      'movements',
      docs.map((d) => ({ newDocumentState: d, assumedMasterState: null })),
    );
  const balanceAt = async (loc: string): Promise<number> => {
    const r = await s.db
      .selectFrom('balances')
      .select('quantity')
      .where('tenant_id', '=', T)
      .where('location_id', '=', loc)
      .execute();
    return r.reduce((a, b) => a + Number(b.quantity), 0);
  };
  const createBin = async (id: string): Promise<SiteLocation> => {
    const r = await api<SiteLocation>(s.url, '/api/sites/locations', {
      method: 'POST',
      token: adminToken,
      body: { id, warehouseId: 'WH1', name: `Bin ${id}`, barcode: `LOC-${id}`, kind: 'storage' },
    });
    expect(r.status).toBe(201);
    return r.body;
  };
  const deactivate = async (l: SiteLocation): Promise<void> => {
    const r = await api<SiteLocation>(s.url, `/api/sites/locations/${l.id}`, {
      method: 'PUT',
      token: adminToken,
      body: {
        warehouseId: l.warehouseId,
        name: l.name,
        barcode: l.barcode,
        kind: l.kind,
        active: false,
        confirmation: { typed: l.id, reason: 'bay removed' },
      },
    });
    expect(r.status).toBe(200);
  };

  it('refuses a movement to or from a bin that does not exist: nothing stored, no audit entry', async () => {
    const before = await state();
    const seeded = demoBinOf(1);
    const stockBefore = await balanceAt(seeded);
    const docs = [
      movement(T, { toLocationId: 'ZZ-NO-SUCH-BIN' }),
      movement(T, { type: 'transfer', quantity: 1, fromLocationId: seeded, toLocationId: 'ZZ-NOPE-2' }),
      movement(T, { type: 'transfer', quantity: 1, fromLocationId: 'ZZ-NOPE-3', toLocationId: seeded }),
    ];
    const r = await push(docs);
    expect(r.status).toBe(200);
    expect(r.body.rejections).toEqual([
      { id: docs[0]?.id, code: 'invalid', reason: 'there is no bin ZZ-NO-SUCH-BIN' },
      { id: docs[1]?.id, code: 'invalid', reason: 'there is no bin ZZ-NOPE-2' },
      { id: docs[2]?.id, code: 'invalid', reason: 'there is no bin ZZ-NOPE-3' },
    ]);
    // Answered as conflicts without a master: the client drops its version and files the reason.
    expect(r.body.conflicts.map((c) => [c.id, c._deleted])).toEqual(docs.map((d) => [d.id, true]));
    expect(r.body.accepted).toEqual([]);
    expect(await state()).toEqual(before);
    expect(await balanceAt(seeded)).toBe(stockBefore);
    // Bin codes match exactly, as the client resolves them (no case folding).
    const lower = movement(T, { toLocationId: 'rcv-01' });
    expect((await push([lower])).body.rejections).toEqual([
      { id: lower.id, code: 'invalid', reason: 'there is no bin rcv-01' },
    ]);
    expect(await state()).toEqual(before);
  });

  it('judges each movement of a push on its own: good ones are stored next to a refused one', async () => {
    const good = movement(T, { toLocationId: 'RCV-01', quantity: 2 });
    const bad = movement(T, { toLocationId: 'ZZ-GONE' });
    const stock = await balanceAt('RCV-01');
    const r = await push([good, bad]);
    expect(r.body.rejections).toEqual([{ id: bad.id, code: 'invalid', reason: 'there is no bin ZZ-GONE' }]);
    expect((r.body.accepted ?? []).map((a) => a.id)).toEqual([good.id]);
    expect(await balanceAt('RCV-01')).toBe(stock + 2);
    expect((await verifyTenantChain(s.db, T)).ok).toBe(true);
  });

  it('refuses a movement into a deactivated bin', async () => {
    const bin = await createBin('B-10-01');
    await deactivate(bin);
    const before = await state();
    const into = movement(T, { toLocationId: 'B-10-01' });
    const transfer = movement(T, {
      type: 'transfer',
      quantity: 1,
      fromLocationId: demoBinOf(1),
      toLocationId: 'B-10-01',
    });
    const r = await push([into, transfer]);
    expect(r.status).toBe(200);
    expect(r.body.rejections).toEqual([
      { id: into.id, code: 'invalid', reason: 'bin B-10-01 is deactivated' },
      { id: transfer.id, code: 'invalid', reason: 'bin B-10-01 is deactivated' },
    ]);
    expect(await state()).toEqual(before);
  });

  it('lets stock leave a deactivated bin, and a retried movement into it stays accepted', async () => {
    const bin = await createBin('B-10-02');
    const receipt = movement(T, { toLocationId: 'B-10-02', quantity: 5 });
    expect((await push([receipt])).body.rejections).toEqual([]);
    // Deactivation is refused while the bin holds stock; stock still ends up in one when a push
    // races the deactivation (or was made offline before it): the owner sets that state directly.
    await s.db.updateTable('locations').set({ deleted: true }).where('id', '=', bin.id).execute();
    const out = movement(T, {
      type: 'transfer',
      quantity: 5,
      fromLocationId: 'B-10-02',
      toLocationId: 'STG-01',
    });
    const r = await push([out]);
    expect(r.body.rejections).toEqual([]);
    expect((r.body.accepted ?? []).map((a) => a.id)).toEqual([out.id]);
    expect(await balanceAt('B-10-02')).toBe(0);
    // The receipt pushed again (a client retrying after a lost answer) is the one already stored.
    const again = await push([receipt]);
    expect(again.body.rejections).toEqual([]);
    expect((again.body.accepted ?? []).map((a) => a.id)).toEqual([receipt.id]);
    expect((await verifyTenantChain(s.db, T)).ok).toBe(true);
  });

  // PostgreSQL only (PGlite has one connection: nothing runs beside a transaction there).
  if (backend === 'postgres')
    it('a push into a bin whose deactivation is under way waits for it, then refuses the movement', async () => {
      const bin = await createBin('B-10-03');
      const into = movement(T, { toLocationId: bin.id, quantity: 2 });
      const before = await state();
      let pushed: ReturnType<typeof push> | undefined;
      await s.db.transaction().execute(async (trx) => {
        // A deactivation holds the bin's row (the sites endpoint locks it for update, then checks
        // the bin is empty) and has not committed yet.
        await trx.selectFrom('locations').select('id').where('id', '=', bin.id).forUpdate().execute();
        await trx.updateTable('locations').set({ deleted: true }).where('id', '=', bin.id).execute();
        pushed = push([into]);
        const deadline = Date.now() + 10_000;
        for (;;) {
          const w = await sql<{ n: number | string }>`SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(s.db);
          if (Number(w.rows[0]?.n) > 0) break;
          if (Date.now() > deadline) throw new Error('the push never waited for the deactivation');
          await new Promise((r) => setTimeout(r, 25));
        }
      });
      const r = await pushed!;
      expect(r.body.rejections).toEqual([
        { id: into.id, code: 'invalid', reason: `bin ${bin.id} is deactivated` },
      ]);
      expect(await state()).toEqual(before);
    });
});
