/**
 * Deterministic replays of what the randomized fault schedules found, one fault at a time, with
 * the real client (the renderer's data layer in Chromium) behind a fault proxy.
 */
import { randomUUID } from 'node:crypto';
import { expect, test, type Browser } from '@playwright/test';
import { clientAssets } from './bundle.js';
import { startPc, until, type Pc } from './clients.js';
import { rng } from './schedule.js';
import { startControlledServer, type ControlledServer } from './server-control.js';

let server: ControlledServer;
let assets: Map<string, [string, string | Buffer]>;
const pcs: Pc[] = [];

test.beforeAll(async () => {
  test.setTimeout(300_000);
  assets = await clientAssets();
  server = await startControlledServer({ backend: 'pglite', itemsPerTenant: 6 });
});

test.afterAll(async () => {
  await server?.close();
});

test.afterEach(async () => {
  for (const pc of pcs.splice(0)) await pc.dispose();
});

async function pc(browser: Browser, username: string): Promise<Pc> {
  const p = await startPc({ browser, serverUrl: () => server.url, assets, username, rand: rng(7) });
  pcs.push(p);
  await p.open();
  return p;
}

async function firstItem(p: Pc): Promise<string> {
  return until(`${p.username} to hold items`, async () => (await p.call('itemIds'))[0]?.id ?? null, 30_000);
}

/** An order of one line of `itemId`, created on `p` (online: it syncs by itself). */
const createOrder = (p: Pc, itemId: string, number: string) =>
  p.call('floor', {
    kind: 'order-create',
    number: `${number}-${randomUUID().slice(0, 8)}`,
    customer: {
      customerName: 'Kim Retail',
      customerPhone: '+31 10 555 0199',
      shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
    },
    lines: [{ itemId, qty: 1 }],
  });

const serverOrder = (id: string) =>
  server.db().selectFrom('orders').select(['status', 'seq']).where('id', '=', id).executeTakeFirst();

const localOrder = async (p: Pc, id: string) => (await p.call('floorDocs')).orders.find((o) => o.id === id);

/** What `p` and the server hold of order `id`, RxDB's view of it, and its replication story. */
const orderStory = async (p: Pc, id: string) =>
  [
    `server ${JSON.stringify(await serverOrder(id))}, ${p.username} holds ${JSON.stringify(await localOrder(p, id))}`,
    `${p.username} attention ${JSON.stringify((await p.call('snapshot')).attention.filter((a) => a.docId === id))}`,
    `${p.username} order pushes ${JSON.stringify(p.proxy.log.filter((l) => l.path.endsWith('/orders/push')))}`,
    ...(await p.call('syncDebug', 'orders', id)),
  ].join('\n');

/** Waits until the server holds order `id` in `status`; on timeout, `p`'s story of it. */
const untilServerStatus = (what: string, id: string, status: string, p: Pc) =>
  until(
    what,
    async () => {
      const o = await serverOrder(id);
      return o?.status === status ? o : null;
    },
    30_000,
    () => orderStory(p, id),
  );

/** Waits until `p` holds order `id` in `status` at the server's sequence `seq`, nothing pending. */
const untilOrderSynced = (what: string, p: Pc, id: string, status: string, seq: number) =>
  until(
    what,
    async () => {
      const o = await localOrder(p, id);
      return o?.status === status && o.seq === seq && o.pending === 0 ? true : null;
    },
    30_000,
    () => orderStory(p, id),
  );

const seqOf = async (p: Pc, id: string) =>
  (await p.call('snapshot')).movements.find((m) => m.id === id)?.seq ?? null;

/** Waits until `p` holds movement `id` at the server's sequence `seq`. */
const untilServerSeq = (p: Pc, id: string, seq: number) =>
  until(
    'the PC to hold the movement with its server sequence',
    async () => ((await seqOf(p, id)) === seq ? true : null),
    30_000,
    async () => `local seq ${await seqOf(p, id)}, server ${seq}`,
  );

test('a push applied on the server whose answer was lost ends synced, not pending for ever', async ({
  browser,
}) => {
  const op = await pc(browser, 'op.acme');
  const itemId = await firstItem(op);
  // Every push is applied but its answer cut; pulls pass (the stream announces the movement).
  op.proxy.setProfile({ 'reset-after': 1, only: '/sync/movements/push' });
  const id = randomUUID();
  await op.call('move', {
    id,
    itemId,
    type: 'receipt',
    quantity: 4,
    from: null,
    to: 'A-01-01',
    batch: null,
  });
  await until(
    'the server to hold the movement',
    async () =>
      (await server.db().selectFrom('movements').select('id').where('id', '=', id).executeTakeFirst()) ??
      null,
    30_000,
  );
  // The app restarts while its pushes still get no answer: its first pull brings the movement
  // back while the local copy is still unpushed (RxDB leaves such a document alone).
  await op.kill();
  const pullsBefore = op.proxy.log.filter((l) => l.path.endsWith('/movements/pull') && l.answered).length;
  await op.open();
  await until(
    'a movements pull after the push was applied',
    () =>
      Promise.resolve(
        op.proxy.log.filter((l) => l.path.endsWith('/movements/pull') && l.answered).length > pullsBefore
          ? true
          : null,
      ),
    30_000,
  );
  op.proxy.setProfile({});
  const stored = await server
    .db()
    .selectFrom('movements')
    .select('seq')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  await untilServerSeq(op, id, Number(stored.seq));
  const snap = await op.call('snapshot');
  expect(snap.attention.filter((a) => a.docId === id)).toEqual([]);
  expect(snap.movements.filter((m) => m.seq === 0)).toEqual([]);
});

test('after an offline sign-in and signing in again, the PC hears of other PCs’ changes live', async ({
  browser,
}) => {
  const op = await pc(browser, 'op.acme');
  await firstItem(op);
  // Network down, the app restarts: offline sign-in against the ticket.
  op.proxy.setOffline(true);
  await op.kill();
  await op.open();
  expect((await op.call('status')).offline).toBe(true);
  // Back online; the stream is refused (no session yet) until the user signs in again.
  op.proxy.setOffline(false);
  await op.call('online');
  await until(
    'the app to ask for the password',
    async () => ((await op.call('status')).needsSignIn ? true : null),
    30_000,
  );
  await op.call('reauthenticate');
  // Now another PC records a movement: this one must receive it without reopening anything.
  const other = await pc(browser, 'admin.acme');
  const itemId = await firstItem(other);
  const id = randomUUID();
  await other.call('move', {
    id,
    itemId,
    type: 'receipt',
    quantity: 2,
    from: null,
    to: 'A-03-09',
    batch: null,
  });
  await until(
    'the other PC’s movement to reach this one',
    async () => ((await seqOf(op, id)) ? true : null),
    30_000,
  );
});

test('a movement of an item that does not exist is refused and lands in Needs attention', async ({
  browser,
}) => {
  const op = await pc(browser, 'op.acme');
  await firstItem(op);
  const id = randomUUID();
  await op.call('move', {
    id,
    itemId: randomUUID(),
    type: 'receipt',
    quantity: 3,
    from: null,
    to: 'A-01-01',
    batch: null,
  });
  await until(
    'the refusal to be filed',
    async () => ((await op.call('snapshot')).attention.some((a) => a.docId === id) ? true : null),
    30_000,
  );
  expect(await server.db().selectFrom('movements').select('id').where('id', '=', id).execute()).toEqual([]);
  expect((await op.call('snapshot')).movements.some((m) => m.id === id)).toBe(false);
});

test('a rename applied on the server whose answer was lost, then renamed again, keeps the second name', async ({
  browser,
}) => {
  const mgr = await pc(browser, 'mgr');
  const itemId = await firstItem(mgr);
  const nameOnServer = async () =>
    (await server.db().selectFrom('items').select('name').where('id', '=', itemId).executeTakeFirstOrThrow())
      .name;
  // Item pushes are applied but their answers cut (seed 92784833 found it under random faults).
  mgr.proxy.setProfile({ 'reset-after': 1, only: '/sync/items/push' });
  const first = await mgr.call('rename', itemId, `First ${randomUUID().slice(0, 8)}`);
  await until(
    'the first rename on the server',
    async () => ((await nameOnServer()).startsWith('First') ? true : null),
    30_000,
  );
  const secondName = `Second ${randomUUID().slice(0, 8)}`;
  const second = await mgr.call('rename', itemId, secondName);
  mgr.proxy.setProfile({});
  await until(
    'the second rename on the server',
    async () => ((await nameOnServer()) === secondName ? true : null),
    30_000,
    async () => `server has "${await nameOnServer()}"`,
  );
  const entries = await server
    .db()
    .selectFrom('audit_log')
    .select('id')
    .where('entity_id', '=', itemId)
    .orderBy('seq')
    .execute();
  expect(entries.map((e) => e.id)).toEqual([first, second]);
  await until(
    'the PC to hold the second name, nothing pending',
    async () => {
      const snap = await mgr.call('snapshot');
      return snap.items.find((i) => i.id === itemId)?.name === secondName && snap.pending === 0 ? snap : null;
    },
    30_000,
  );
  expect((await mgr.call('snapshot')).attention.filter((a) => a.docId === itemId)).toEqual([]);
});

test('a delete refused while the manager works in another tenant is filed when the PC comes back to it', async ({
  browser,
}) => {
  const mgr = await pc(browser, 'mgr');
  const itemId = await firstItem(mgr);
  const tenant = (await mgr.call('status')).tenantId!;
  const other = tenant === 'acme' ? 'globex' : 'acme';
  // Offline, an unconfirmed delete (the server refuses it), then off to the other tenant.
  mgr.proxy.setOffline(true);
  await mgr.call('remove', itemId, null);
  expect((await mgr.call('snapshot')).pending).toBe(1);
  await mgr.call('switchTenant', other);
  mgr.proxy.setOffline(false);
  await mgr.call('online');
  await mgr.call('switchTenant', tenant);
  await until(
    'the refusal to be filed and the item back',
    async () => {
      const snap = await mgr.call('snapshot');
      return snap.pending === 0 &&
        snap.items.some((i) => i.id === itemId) &&
        snap.attention.some((a) => a.docId === itemId && a.code === 'confirmation-required')
        ? true
        : null;
    },
    30_000,
  );
  const row = await server
    .db()
    .selectFrom('items')
    .select('deleted')
    .where('id', '=', itemId)
    .executeTakeFirstOrThrow();
  expect(row.deleted).toBe(false);
});

test('an order created and worked offline reaches the server in its latest status, not refused', async ({
  browser,
}) => {
  // Seed 920000049: the server refused a new order that was not "open" — created and picked before
  // it ever synced, then the app restarted — so the whole order went to Needs attention.
  const mgr = await pc(browser, 'mgr');
  const itemId = await firstItem(mgr);
  const tenant = (await mgr.call('status')).tenantId!;
  mgr.proxy.setOffline(true);
  const made = await mgr.call('floor', {
    kind: 'order-create',
    number: `SO-REPLAY-${randomUUID().slice(0, 8)}`,
    customer: {
      customerName: 'Kim Retail',
      customerPhone: '+31 10 555 0199',
      shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
    },
    lines: [{ itemId, qty: 1 }],
  });
  expect(made.done).toBe('created');
  const orderId = made.docId!;
  const worked = await mgr.call('floor', { kind: 'order-work', orderId });
  expect(worked.status).not.toBe('open');
  // The app restarts, still offline: its first push carries the order as it is now.
  await mgr.kill();
  await mgr.open();
  mgr.proxy.setOffline(false);
  await mgr.call('online');
  await until(
    'mgr to be signed in online again',
    async () => {
      const s = await mgr.call('status');
      if (!s.offline && !s.needsSignIn) return true;
      await mgr.call('reauthenticate');
      return null;
    },
    30_000,
  );
  const snap = await until(
    'nothing pending',
    async () => {
      const s = await mgr.call('snapshot');
      return s.pending === 0 ? s : null;
    },
    30_000,
  );
  const row = await server
    .db()
    .selectFrom('orders')
    .select(['tenant_id', 'status'])
    .where('id', '=', orderId)
    .executeTakeFirst();
  expect(row).toEqual({ tenant_id: tenant, status: worked.status });
  expect(snap.attention.filter((a) => a.docId === orderId)).toEqual([]);
});

test('a version pulled while this PC’s push of the same order is unanswered is not lost', async ({
  browser,
}) => {
  // Soak seed 950000035: op.acme kept an order at "open"@180 while the server had "picking"@199.
  // RxDB leaves a pulled document alone while the PC has an unpushed change of it, and moves its
  // pull checkpoint past it; it holds stream events back while a push runs, but a pull already
  // under way when the push starts can bring a newer version — and the push's answer then
  // becomes the PC's version, older than the one the pull brought, which never comes again.
  const mgr = await pc(browser, 'mgr');
  const op = await pc(browser, 'op.acme');
  const itemId = await firstItem(mgr);
  const orderId = (await createOrder(mgr, itemId, 'SO-HOLD')).docId!;
  await until('op to hold the order', async () => ((await localOrder(op, orderId)) ? true : null), 30_000);

  // A pull of op's is under way (held before it reaches the server) when op's push starts.
  const releasePull = op.proxy.hold('/sync/orders/pull', 'request');
  await createOrder(mgr, itemId, 'SO-OTHER');
  await until('op to start pulling orders', () =>
    Promise.resolve(op.proxy.holding('/sync/orders/pull') > 0 ? true : null),
  );
  // op picks; the server applies the order's push, its answer waits.
  const releasePush = op.proxy.hold('/sync/orders/push', 'answer');
  const picked = await op.call('floor', { kind: 'order-work', orderId });
  expect(picked.done).toBe('picked');
  const afterPick = await until('the server to hold op’s pick', async () => {
    const o = await serverOrder(orderId);
    return o && o.status !== 'open' && op.proxy.holding('/sync/orders/push') > 0 ? o : null;
  });
  // mgr packs on top of it; then op's pull reaches the server and brings the packed order.
  await until('mgr to hold op’s pick', async () =>
    (await localOrder(mgr, orderId))?.seq === Number(afterPick.seq) ? true : null,
  );
  const packed = await mgr.call('floor', { kind: 'order-work', orderId });
  expect(packed.done).toBe('packed');
  const final = await untilServerStatus('the server to hold the packed order', orderId, 'packed', mgr);
  const pulls = () => op.proxy.log.filter((l) => l.path.endsWith('/orders/pull') && l.answered).length;
  const pullsBefore = pulls();
  releasePull();
  await until('op’s pull to be answered', () => Promise.resolve(pulls() > pullsBefore ? true : null));
  releasePush();
  await untilOrderSynced('op to hold the packed order', op, orderId, 'packed', Number(final.seq));
});

test('an order worked after a pulled version was written but before RxDB recorded it is not a conflict', async ({
  browser,
}) => {
  // CI flake of the test above (fee2cfa): mgr packed the order its copy showed as picked; RxDB
  // writes a pulled version into the copy, then its record of that version in a second write
  // (replication-protocol/downstream.js), and the push went out between the two with the record
  // of the version before: the server saw a concurrent status change and the pack was filed in
  // Needs attention. The copy's sequence says which version it was edited from.
  const mgr = await pc(browser, 'mgr');
  const op = await pc(browser, 'op.acme');
  const itemId = await firstItem(mgr);
  const orderId = (await createOrder(mgr, itemId, 'SO-RECORD')).docId!;
  const created = await until('the server to hold the order', () =>
    serverOrder(orderId).then((o) => o ?? null),
  );
  await until('both PCs to hold the order synced', async () => {
    const [a, b] = await Promise.all([localOrder(mgr, orderId), localOrder(op, orderId)]);
    return [a, b].every((o) => o?.seq === Number(created.seq) && o.pending === 0) ? true : null;
  });

  // Only the record of a version after the created one: mgr's own may still be on its way.
  await mgr.call('holdPulledRecord', 'orders', orderId, Number(created.seq));
  expect((await op.call('floor', { kind: 'order-work', orderId })).done).toBe('picked');
  const picked = await untilServerStatus('the server to hold the pick', orderId, 'picking', mgr);
  await until(
    'mgr to show the pick while RxDB’s record of it waits',
    async () => {
      const o = await localOrder(mgr, orderId);
      return o?.seq === Number(picked.seq) && (await mgr.call('pulledRecordsHeld')) === 1 ? true : null;
    },
    30_000,
    () => orderStory(mgr, orderId),
  );
  expect((await mgr.call('floor', { kind: 'order-work', orderId })).done).toBe('packed');
  const packed = await untilServerStatus('the server to hold the packed order', orderId, 'packed', mgr);
  await mgr.call('releasePulledRecords');
  await untilOrderSynced('mgr to hold the packed order synced', mgr, orderId, 'packed', Number(packed.seq));
  expect((await mgr.call('snapshot')).attention.filter((a) => a.docId === orderId)).toEqual([]);
});

test('an accepted movement whose settled version RxDB failed to write still ends synced', async ({
  browser,
}) => {
  // PostgreSQL soak seed 749556232: mgr's receipt movement stayed at seq 0 with its entry pending
  // while the server held it at 408. The push's answer hands RxDB the stored movement as a
  // conflict (tenant-sync.ts settledMovements); RxDB ignores a refused (409) write of that
  // resolved version, records nothing and moves its upstream checkpoint on, and its pull had
  // skipped the movement while the copy looked unpushed: nothing brought the sequence again.
  const op = await pc(browser, 'op.acme');
  const itemId = await firstItem(op);
  await op.call('refuseNextConflictWrite', 'movements');
  const id = randomUUID();
  await op.call('move', { id, itemId, type: 'receipt', quantity: 3, from: null, to: 'A-01-02', batch: null });
  const stored = await until(
    'the server to hold the movement',
    async () =>
      (await server.db().selectFrom('movements').select('seq').where('id', '=', id).executeTakeFirst()) ??
      null,
    30_000,
  );
  await until('RxDB’s write of the settled movement to be refused', async () =>
    (await op.call('conflictWritesRefused')) > 0 ? true : null,
  );
  await untilServerSeq(op, id, Number(stored.seq));
  const snap = await op.call('snapshot');
  expect(snap.movements.find((m) => m.id === id)).toMatchObject({ pending: 0 });
  expect(snap.pending).toBe(0);
  // Reported as a repair (never silent): the soak report lists it apart from routine ones.
  expect((await op.call('repairs')).filter((r) => r.id === id)).toMatchObject([
    { collection: 'movements', localSeq: 0, serverSeq: Number(stored.seq), settled: true },
  ]);
  // It stays synced across a restart (RxDB's record holds the settled version).
  await op.kill();
  await op.open();
  await until('the PC to reopen with the movement', async () =>
    (await seqOf(op, id)) !== null ? true : null,
  );
  expect(await seqOf(op, id)).toBe(Number(stored.seq));
});
