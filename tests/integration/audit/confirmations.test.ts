import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, AuditVerifyAnswer } from '../../../shared/api/audit.js';
import type { ChainedEntry } from '../../../shared/audit/chain.js';
import { verifyChain } from '../../../shared/audit/chain.js';
import { cosignMessage } from '../../../shared/audit/cosign.js';
import { cosignSignature } from '../../../shared/audit/cosign-sign.js';
import { stableUuid } from '../../../server/db/seed.js';
import type { TestServer } from '../../helpers/server.js';
import { api, auditEntry, integrationBackends, startTestServer } from '../../helpers/server.js';
import type { Session } from './client.js';
import { cosigned, entriesOf, movement, pulledItem, pushChanges, session, writeOff } from './client.js';

const backends = await integrationBackends();
const T = 'acme';
const SKU1 = 'ACME-000001';

describe.each(backends)('audit binding and confirmations (%s)', (backend) => {
  let s: TestServer;
  let op: Session, mgr: Session, admin: Session, fin: Session, aud: Session;
  const movementRows = (id: string) =>
    s.db.selectFrom('movements').select('id').where('id', '=', id).execute();

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 12 } });
    [op, mgr, admin, fin, aud] = (await Promise.all(
      ['op.acme', 'mgr', 'admin.acme', 'fin.acme', 'aud.acme'].map((u) => session(s.url, u)),
    )) as [Session, Session, Session, Session, Session];
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses a change without its audit entry, and one whose entry names another actor', async () => {
    const m = movement(T);
    const r = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: m }], []);
    expect(r.status).toBe(200);
    expect(r.body.rejections).toEqual([
      { id: m.id, code: 'audit-missing', reason: expect.stringMatching(/audit entry/) as string },
    ]);
    expect(r.body.conflicts).toEqual([expect.objectContaining({ id: m.id, _deleted: true })]);
    // An entry for another document does not count.
    const other = auditEntry(op.userId, 'movements', randomUUID(), { action: 'create' });
    const r2 = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: m }], [other]);
    expect(r2.body.rejections.map((x) => x.code)).toEqual(['audit-missing']);
    const r3 = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: m }], undefined, {
      actorId: mgr.userId,
    });
    expect(r3.body.rejections).toEqual([
      { id: m.id, code: 'actor-mismatch', reason: expect.stringContaining(mgr.userId) as string },
    ]);
    expect(await movementRows(m.id)).toEqual([]);
    expect(await entriesOf(s.db, T, m.id)).toEqual([]);
  });

  it('records exactly one entry per accepted change: server time, authenticated actor, device fields', async () => {
    const m = movement(T, { createdAt: '2026-01-01T10:00:00.000+02:00' });
    const entry = auditEntry(op.userId, 'movements', m.id, {
      action: 'create',
      deviceId: 'scanner-9',
      deviceTime: '2026-01-01T08:00:00.000Z',
      reason: 'inbound truck',
    });
    const r = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: m }], [entry]);
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    const rows = await entriesOf(s.db, T, m.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: entry.id,
      actor_id: op.userId,
      device_id: 'scanner-9',
      action: 'create',
      entity: 'movements',
      reason: 'inbound truck',
      before: null,
    });
    expect(new Date(rows[0]?.device_time as Date).toISOString()).toBe('2026-01-01T08:00:00.000Z');
    expect(rows[0]?.after).toMatchObject({
      id: m.id,
      createdBy: op.userId,
      quantity: 3,
      createdAt: '2026-01-01T08:00:00.000Z',
    });
    // A retried push (new entry, same movement) and an identical item state write nothing.
    const again = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: m }]);
    expect(again.body).toMatchObject({ conflicts: [], rejections: [] });
    expect(await entriesOf(s.db, T, m.id)).toHaveLength(1);
    const id = stableUuid(`${T}/item/2`);
    const item = await pulledItem(s.url, admin, T, id);
    const same = await pushChanges(s.url, admin, T, 'items', [
      { assumedMasterState: item, newDocumentState: item },
    ]);
    // Nothing changes; the answer is the stored version, so the PC stops holding its entry.
    expect(same.body).toMatchObject({ conflicts: [item], rejections: [] });
    expect(await entriesOf(s.db, T, id)).toHaveLength(0);
  });

  it('collapses local edits of one document into one entry with the last entry’s fields', async () => {
    const id = stableUuid(`${T}/item/3`);
    const item = await pulledItem(s.url, admin, T, id);
    const e1 = auditEntry(admin.userId, 'items', id, { reason: 'typo' });
    const e2 = auditEntry(admin.userId, 'items', id, { reason: 'supplier name' });
    const e3 = auditEntry(admin.userId, 'items', id, {
      reason: 'final',
      deviceTime: '2026-02-02T02:02:02.000Z',
    });
    const r = await pushChanges(
      s.url,
      admin,
      T,
      'items',
      [{ assumedMasterState: item, newDocumentState: { ...item, name: 'Offline 3' } }],
      [e1, e2, e3],
    );
    expect(r.body).toMatchObject({ conflicts: [], rejections: [] });
    const rows = await entriesOf(s.db, T, id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(e3.id);
    expect(rows[0]?.reason).toBe(
      `final [collapses 2 earlier local edits: ${e1.id} (typo); ${e2.id} (supplier name)]`,
    );
    expect(rows[0]?.before).toMatchObject({ name: item.name, purchasePrice: expect.any(Number) as number });
    expect(rows[0]?.after).toMatchObject({ name: 'Offline 3', purchasePrice: expect.any(Number) as number });
  });

  it('refuses destructive changes without a valid confirmation', async () => {
    const codes = async (doc: Record<string, unknown>, conf: unknown, as = op) =>
      (
        await pushChanges(s.url, as, T, 'movements', [{ newDocumentState: doc }], undefined, {
          action: 'create',
          confirmation: conf as null,
        })
      ).body.rejections.map((x) => [x.code, x.reason]);
    const small = writeOff(T, 5);
    expect(await codes(small, null)).toEqual([['confirmation-required', expect.stringContaining(SKU1)]]);
    expect(await codes(small, { typed: 'ACME-000002', reason: 'broken' })).toEqual([
      ['confirmation-invalid', expect.stringContaining(SKU1)],
    ]);
    const big = writeOff(T, 1500);
    const conf = { typed: SKU1, reason: 'flooded' };
    expect(await codes(big, conf)).toEqual([['cosign-invalid', expect.stringMatching(/co-sign/)]]);
    const subject = {
      tenantId: T,
      entity: 'movements',
      entityId: big.id,
      action: 'create',
      typed: SKU1,
      reason: 'flooded',
    };
    const forged = {
      ...conf,
      cosign: { userId: mgr.userId, at: new Date().toISOString(), signature: 'ab'.repeat(32) },
    };
    expect(await codes(big, forged)).toEqual([
      ['cosign-invalid', 'the co-signature does not match this change'],
    ]);
    // Signed for another change (other quantity means another id here): does not transfer.
    const elsewhere = await cosigned(mgr, { ...subject, entityId: randomUUID() });
    expect((await codes(big, elsewhere))[0]?.[0]).toBe('cosign-invalid');
    // By oneself, and by someone without co-sign rights (an operator), even with a valid HMAC.
    expect(await codes(big, await cosigned(mgr, subject), mgr)).toEqual([
      ['cosign-invalid', 'nobody co-signs their own change'],
    ]);
    expect((await codes(big, await cosigned(op, subject), admin))[0]).toEqual([
      'cosign-invalid',
      expect.stringMatching(/could not co-sign/),
    ]);
    expect(await movementRows(big.id)).toEqual([]);
    expect(await movementRows(small.id)).toEqual([]);
    expect(await entriesOf(s.db, T, big.id)).toEqual([]);
  });

  it('accepts a write-off with a typed confirmation, and one above the threshold with a valid co-sign', async () => {
    const small = writeOff(T, 5);
    const r1 = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: small }], undefined, {
      action: 'create',
      confirmation: { typed: ` ${SKU1.toLowerCase()} `, reason: 'damaged in transit' },
    });
    expect(r1.body).toMatchObject({ conflicts: [], rejections: [] });
    const big = writeOff(T, 1500);
    const subject = {
      tenantId: T,
      entity: 'movements',
      entityId: big.id,
      action: 'create',
      typed: SKU1,
      reason: 'flooded',
    };
    const confirmation = await cosigned(mgr, subject);
    const r2 = await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: big }], undefined, {
      action: 'create',
      confirmation,
    });
    expect(r2.body).toMatchObject({ conflicts: [], rejections: [] });
    const rows = await entriesOf(s.db, T, big.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.confirmation).toEqual(confirmation);
    // The online co-sign route gives the same signature, and only to a co-signer.
    const online = await api<{ signature: string; cosignerId: string }>(s.url, '/api/auth/cosign', {
      body: { username: 'mgr', password: 'demo1234', message: { ...subject, at: confirmation.cosign?.at } },
    });
    expect(online.status).toBe(200);
    expect(online.body).toEqual({ signature: confirmation.cosign?.signature, cosignerId: mgr.userId });
    expect(JSON.stringify(online.body)).not.toContain(mgr.cosignKey);
    const byOp = await api(s.url, '/api/auth/cosign', {
      body: {
        username: 'op.acme',
        password: 'demo1234',
        message: { ...subject, at: confirmation.cosign?.at },
      },
    });
    expect(byOp.status).toBe(403);
    const wrong = await api(s.url, '/api/auth/cosign', {
      body: { username: 'mgr', password: 'nope', message: { ...subject, at: confirmation.cosign?.at } },
    });
    expect(wrong.status).toBe(401);
    expect(
      await cosignSignature(mgr.cosignKey, cosignMessage({ ...subject, at: confirmation.cosign?.at ?? '' })),
    ).toBe(confirmation.cosign?.signature);
  });

  it('deletes an item only with the SKU retyped', async () => {
    const id = stableUuid(`${T}/item/4`);
    const item = await pulledItem(s.url, admin, T, id);
    const del = [{ assumedMasterState: item, newDocumentState: { ...item, _deleted: true } }];
    const no = await pushChanges(s.url, admin, T, 'items', del, undefined, { action: 'delete' });
    expect(no.body.rejections.map((x) => x.code)).toEqual(['confirmation-required']);
    expect(no.body.conflicts).toEqual([item]);
    const ok = await pushChanges(s.url, admin, T, 'items', del, undefined, {
      action: 'delete',
      confirmation: { typed: 'ACME-000004', reason: 'discontinued' },
    });
    expect(ok.body).toMatchObject({ conflicts: [], rejections: [] });
    const rows = await entriesOf(s.db, T, id);
    expect(rows.map((r) => r.action)).toEqual(['delete']);
    expect(rows[0]?.after).toMatchObject({ _deleted: true });
  });

  it('rolls back an item change and reverses a movement through the normal push path', async () => {
    const id = stableUuid(`${T}/item/5`);
    const before = await pulledItem(s.url, admin, T, id);
    await pushChanges(s.url, admin, T, 'items', [
      { assumedMasterState: before, newDocumentState: { ...before, name: 'Wrong name' } },
    ]);
    const [edit] = await entriesOf(s.db, T, id);
    const current = await pulledItem(s.url, mgr, T, id);
    const back = [{ assumedMasterState: current, newDocumentState: { ...current, name: before.name } }];
    const conf = { typed: 'ACME-000005', reason: 'undo wrong rename' };
    const finView = await pulledItem(s.url, fin, T, id);
    const byFinance = await pushChanges(
      s.url,
      fin,
      T,
      'items',
      [{ assumedMasterState: finView, newDocumentState: { ...finView, name: before.name } }],
      undefined,
      { action: 'rollback', compensates: edit?.id, confirmation: conf },
    );
    expect(byFinance.body.rejections.map((x) => x.code)).toEqual(['forbidden']);
    const unknown = await pushChanges(s.url, mgr, T, 'items', back, undefined, {
      action: 'rollback',
      compensates: randomUUID(),
      confirmation: conf,
    });
    expect(unknown.body.rejections.map((x) => x.code)).toEqual(['invalid']);
    const unconfirmed = await pushChanges(s.url, mgr, T, 'items', back, undefined, {
      action: 'rollback',
      compensates: edit?.id,
      confirmation: null,
    });
    expect(unconfirmed.body.rejections.map((x) => x.code)).toEqual(['confirmation-required']);
    const ok = await pushChanges(s.url, mgr, T, 'items', back, undefined, {
      action: 'rollback',
      compensates: edit?.id,
      confirmation: conf,
    });
    expect(ok.body).toMatchObject({ conflicts: [], rejections: [] });
    const rows = await entriesOf(s.db, T, id);
    expect(rows.map((r) => [r.action, r.compensates])).toEqual([
      ['update', null],
      ['rollback', edit?.id],
    ]);

    // A bin of its own with stock for the transfer (earlier cases wrote A-02-01 below zero, and a
    // transfer may not take a balance negative).
    await pushChanges(s.url, op, T, 'movements', [
      {
        newDocumentState: movement(T, {
          type: 'receipt',
          fromLocationId: null,
          toLocationId: 'A-08-09',
          quantity: 5,
        }),
      },
    ]);
    const m = movement(T, {
      type: 'transfer',
      fromLocationId: 'A-08-09',
      toLocationId: 'A-09-09',
      quantity: 2,
    });
    await pushChanges(s.url, op, T, 'movements', [{ newDocumentState: m }]);
    const [mEntry] = await entriesOf(s.db, T, m.id);
    const reversal = (over = {}) =>
      movement(T, {
        type: 'transfer',
        fromLocationId: 'A-09-09',
        toLocationId: 'A-08-09',
        quantity: 2,
        reversalOf: m.id,
        ...over,
      });
    const rConf = { typed: SKU1, reason: 'scanned the wrong bin' };
    const meta = { action: 'rollback' as const, compensates: mEntry?.id, confirmation: rConf };
    const notMirrored = await pushChanges(
      s.url,
      mgr,
      T,
      'movements',
      [{ newDocumentState: reversal({ quantity: 3 }) }],
      undefined,
      meta,
    );
    expect(notMirrored.body.rejections.map((x) => x.code)).toEqual(['invalid']);
    const byOp = await pushChanges(
      s.url,
      op,
      T,
      'movements',
      [{ newDocumentState: reversal() }],
      undefined,
      meta,
    );
    expect(byOp.body.rejections.map((x) => x.code)).toEqual(['forbidden']);
    const rev = reversal();
    const ok2 = await pushChanges(s.url, mgr, T, 'movements', [{ newDocumentState: rev }], undefined, meta);
    expect(ok2.body).toMatchObject({ conflicts: [], rejections: [] });
    expect((await entriesOf(s.db, T, rev.id)).map((r) => [r.action, r.compensates])).toEqual([
      ['rollback', mEntry?.id],
    ]);
    const twice = await pushChanges(
      s.url,
      mgr,
      T,
      'movements',
      [{ newDocumentState: reversal() }],
      undefined,
      meta,
    );
    expect(twice.body.rejections).toEqual([
      {
        id: expect.any(String) as string,
        code: 'invalid',
        reason: expect.stringMatching(/already reversed/) as string,
      },
    ]);
  });

  it('records a discard through the audit-only route, once, for the signed-in actor only', async () => {
    const id = stableUuid(`${T}/item/6`);
    const entry = {
      ...auditEntry(op.userId, 'items', id, { action: 'discard', reason: 'server refused' }),
      localVersion: { id, name: 'mine', purchasePrice: 1 },
    };
    const r = await api<{ recorded: number }>(s.url, `/api/t/${T}/audit`, {
      token: op.token,
      body: { entries: [entry] },
    });
    expect(r.status).toBe(201);
    expect(r.body.recorded).toBe(1);
    const again = await api<{ recorded: number }>(s.url, `/api/t/${T}/audit`, {
      token: op.token,
      body: { entries: [entry] },
    });
    expect(again.body.recorded).toBe(0);
    const rows = await entriesOf(s.db, T, id);
    expect(rows.map((x) => [x.action, x.actor_id])).toEqual([['discard', op.userId]]);
    // The operator cannot see prices: a price in the discarded version is not kept.
    expect(rows[0]?.before).toEqual({ id, name: 'mine' });
    const notMine = await api(s.url, `/api/t/${T}/audit`, {
      token: op.token,
      body: { entries: [{ ...entry, id: randomUUID(), actorId: mgr.userId }] },
    });
    expect(notMine.status).toBe(403);
    const notDiscard = await api(s.url, `/api/t/${T}/audit`, {
      token: op.token,
      body: { entries: [{ ...entry, id: randomUUID(), action: 'update' }] },
    });
    expect(notDiscard.status).toBe(400);
  });

  it('reads with filters and chain fields; verifies in one call; refuses verification to operators', async () => {
    const all = await api<AuditPage>(s.url, `/api/t/${T}/audit?limit=500`, { token: aud.token });
    expect(all.status).toBe(200);
    const chained = [...all.body.entries].reverse() as unknown as ChainedEntry[];
    expect(chained[0]?.seq).toBe(1);
    expect((await verifyChain(chained)).ok).toBe(true);
    const deletes = await api<AuditPage>(s.url, `/api/t/${T}/audit?entity=items&action=delete`, {
      token: aud.token,
    });
    expect(deletes.body.entries.map((e) => e.entityId)).toEqual([stableUuid(`${T}/item/4`)]);
    const mine = await api<AuditPage>(
      s.url,
      `/api/t/${T}/audit?actor=${mgr.userId}&entityId=${stableUuid(`${T}/item/5`)}`,
      { token: aud.token },
    );
    expect(mine.body.entries.map((e) => e.action)).toEqual(['rollback']);
    const future = await api<AuditPage>(s.url, `/api/t/${T}/audit?from=2099-01-01T00:00:00Z`, {
      token: aud.token,
    });
    expect(future.body.entries).toEqual([]);
    const past = await api<AuditPage>(s.url, `/api/t/${T}/audit?to=2000-01-01T00:00:00Z`, {
      token: aud.token,
    });
    expect(past.body.entries).toEqual([]);
    // Snapshots are projected per reader: the manager never sees purchase prices.
    const mgrView = await api<AuditPage>(s.url, `/api/t/${T}/audit?entityId=${stableUuid(`${T}/item/3`)}`, {
      token: mgr.token,
    });
    expect(mgrView.body.entries[0]?.after).not.toHaveProperty('purchasePrice');
    expect(mgrView.body.entries[0]?.afterHash).toMatch(/^[0-9a-f]{64}$/);
    const finView = await api<AuditPage>(s.url, `/api/t/${T}/audit?entityId=${stableUuid(`${T}/item/3`)}`, {
      token: fin.token,
    });
    expect(finView.body.entries[0]?.after).toHaveProperty('purchasePrice');

    const v = await api<AuditVerifyAnswer>(s.url, `/api/t/${T}/audit/verify`, { token: aud.token });
    expect(v.body).toEqual({ ok: true, length: chained.length, head: chained[chained.length - 1]?.hash });
    expect((await api(s.url, `/api/t/${T}/audit/verify`, { token: op.token })).status).toBe(403);
    expect((await api(s.url, `/api/t/${T}/audit/chain`, { token: op.token })).status).toBe(403);
    expect((await api(s.url, `/api/t/globex/audit/verify`, { token: aud.token })).status).toBe(403);
  });
});
