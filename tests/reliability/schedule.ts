/**
 * Randomized fault schedules over several real clients (Chromium pages running the renderer's
 * data layer, see harness/client.ts) of several tenants, and the oracle that judges the outcome.
 *
 * A schedule is generated from its seed alone (`planSchedule`), then played (`runSchedule`):
 * clients record movements, rename and delete items, and do floor work through the floor API
 * (orders created, picked from suggested bins, packed, shipped and cancelled; inbound notices
 * created and received) — some changes deliberately refused by the server, some of one order by
 * two PCs at once — online and offline, while the proxies drop, delay, reset, duplicate and reorder their
 * requests, pages reload or close for a while, the server restarts, and one client's clock may
 * be off by ±2 h. Afterwards every fault is lifted, every client comes back and syncs, and the
 * oracle checks what the issue demands (see `judge`).
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from '@playwright/test';
import { sql } from 'kysely';
import { verifyTenantChain } from '../../server/audit/log.js';
import { balanceId, movementDelta } from '../../shared/domain/schemas.js';
import type {
  ClientSnapshot,
  FloorAction,
  FloorDocState,
  FloorOutcome,
  MoveSpec,
  PendingDetail,
} from './harness/client.js';
import type { FaultProfile } from './proxy.js';
import { startPc, until, type Pc } from './clients.js';
import type { ControlledServer } from './server-control.js';
import { isTraced } from '../../renderer/data/sync-trace.js';
import type { RepairRecord } from '../../renderer/data/workspace.js';

export const TENANTS = ['acme', 'globex', 'initech'] as const;
type Tenant = (typeof TENANTS)[number];

/** Small seeded generator (mulberry32): the same seed gives the same schedule. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type ClientSpec = { username: string; tenants: Tenant[]; editor: boolean; skewMs: number };

/** The cast: operators of three tenants and a manager of two (the only one who may edit items). */
const CAST: Omit<ClientSpec, 'skewMs'>[] = [
  { username: 'op.acme', tenants: ['acme'], editor: false },
  { username: 'op.globex', tenants: ['globex'], editor: false },
  { username: 'mgr', tenants: ['acme', 'globex'], editor: true },
  { username: 'op.initech', tenants: ['initech'], editor: false },
];

type OpKind =
  | 'receipt'
  | 'transfer'
  | 'pick'
  | 'write-off-confirmed'
  | 'write-off-unconfirmed'
  | 'ghost-item'
  | 'rename'
  | 'delete-unconfirmed'
  // Floor work through renderer/data/floor.ts (outbound orders, receiving):
  | 'receipt-create'
  | 'receive-line'
  | 'order-create'
  | 'order-work'
  | 'order-cancel';

type Step =
  | {
      kind: 'op';
      client: number;
      op: OpKind;
      item: number;
      qty: number;
      loc: number;
      loc2: number;
      batch: number;
    }
  | { kind: 'offline'; client: number }
  | { kind: 'online'; client: number }
  | { kind: 'profile'; client: number; profile: FaultProfile }
  | { kind: 'reload'; client: number }
  | { kind: 'close'; client: number; away: number }
  | { kind: 'restart' }
  | { kind: 'switch'; client: number; tenant: number }
  | { kind: 'pause'; ms: number };

export type Plan = { seed: number; clients: ClientSpec[]; steps: Step[] };

type FloorCustomer = Extract<FloorAction, { kind: 'order-create' }>['customer'];
const FINAL = new Set(['shipped', 'cancelled', 'closed']);

const LOCATIONS = ['A-01-01', 'A-01-02', 'A-02-01', 'A-03-09', 'RCV-01'];
const TWO_HOURS = 2 * 3600_000;

/** The schedule of one seed: who is skewed, and the steps in order. */
export function planSchedule(seed: number, steps = 20): Plan {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const skewed = int(CAST.length + 1); // one client (or none) runs 2 h fast or slow
  const clients = CAST.map((c, i) => ({
    ...c,
    skewMs: i === skewed ? (r() < 0.5 ? -TWO_HOURS : TWO_HOURS) : 0,
  }));
  const out: Step[] = [];
  let restarted = false;
  const restartAllowed = r() < 0.35;
  for (let i = 0; i < steps; i++) {
    const x = r();
    const client = int(clients.length);
    if (x < 0.55) {
      const editor = clients[client]?.editor === true;
      const y = r();
      // About a third of the operations are floor work (orders and receipts).
      const op: OpKind =
        y < 0.2
          ? 'receipt'
          : y < 0.3
            ? 'transfer'
            : y < 0.37
              ? 'pick'
              : y < 0.42
                ? 'write-off-confirmed'
                : y < 0.47
                  ? 'write-off-unconfirmed'
                  : y < 0.51
                    ? 'ghost-item'
                    : y < 0.62
                      ? 'rename'
                      : y < 0.66
                        ? editor
                          ? 'delete-unconfirmed'
                          : 'rename'
                        : y < 0.69
                          ? 'receipt-create'
                          : y < 0.75
                            ? 'receive-line'
                            : y < 0.83
                              ? 'order-create'
                              : y < 0.97
                                ? 'order-work'
                                : 'order-cancel';
      out.push({
        kind: 'op',
        // Orders come from the office: the manager creates them (operators may not set customers).
        client: op === 'order-create' ? clients.findIndex((c) => c.editor) : client,
        op,
        item: int(1000),
        qty: 1 + int(9),
        loc: int(5),
        loc2: int(5),
        batch: int(3),
      });
    } else if (x < 0.65) out.push({ kind: 'offline', client });
    else if (x < 0.72) out.push({ kind: 'online', client });
    else if (x < 0.8) {
      const p = r();
      const profile: FaultProfile =
        p < 0.2
          ? {}
          : {
              drop: 0.1 * r(),
              delay: 0.3 * r(),
              'reset-before': 0.08 * r(),
              'reset-after': 0.12 * r(),
              duplicate: 0.12 * r(),
              reorder: 0.1 * r(),
              delayMs: [20, 300 + int(700)],
            };
      out.push({ kind: 'profile', client, profile });
    } else if (x < 0.84) out.push({ kind: 'reload', client });
    else if (x < 0.86) out.push({ kind: 'close', client, away: 2 + int(4) });
    else if (x < 0.88 && restartAllowed && !restarted) {
      restarted = true;
      out.push({ kind: 'restart' });
    } else if (x < 0.93) out.push({ kind: 'switch', client: 2, tenant: int(2) });
    else out.push({ kind: 'pause', ms: 50 + int(400) });
  }
  return { seed, clients, steps: out };
}

/** A change a client made, and what the server must do with it. */
type Op = {
  client: number;
  username: string;
  tenant: Tenant;
  /** The planned operation (a movement a floor operation wrote: `order-work:pick` …). */
  kind: OpKind | `${OpKind}:${string}`;
  collection: 'movements' | 'items';
  docId: string;
  /**
   * What the server must do. `either` for movements that take stock away: whether there is enough
   * at that moment depends on what other PCs did first; the oracle then asks that the outcome be
   * one of the two, cleanly (booked once and audited, or refused and in Needs attention).
   */
  expect: 'accept' | 'reject' | 'either';
  name?: string;
  auditId?: string;
};

export type ScheduleResult = {
  seed: number;
  /**
   * Stale local copies the clients repaired at a reconnect (issue #7): each one a divergence that
   * healed, whose cause is still to be found. A repair does not fail the schedule.
   */
  repairs: (RepairRecord & { username: string })[];
  operations: number;
  accepted: number;
  rejected: number;
  faults: Record<string, number>;
  ms: number;
};

type Live = Pc & {
  spec: ClientSpec;
  /** Step index at which a closed client comes back. */
  backAt: number | null;
};

/**
 * A change of an order or inbound notice made through the floor API. Whether the server took it
 * is read from the audit log: its entry recorded (or named as collapsed by the entry of a later
 * local edit pushed with it). Not taken, it must be in its author's Needs attention — unless the
 * server already held what it set (another PC made the same change first: nothing lost).
 */
type FloorOp = {
  client: number;
  username: string;
  tenant: Tenant;
  kind: OpKind;
  entity: 'orders' | 'receipts';
  docId: string;
  done: FloorOutcome['done'];
  /** The audit entries the change wrote on the document (in order). */
  entries: string[];
  /** The document's status the change set locally. */
  status: string | null;
  /** Set by the oracle: the server took the change. */
  accepted?: boolean;
};

/** Demo customers (an order needs one; operators may not set customer fields, managers may). */
const CUSTOMER: Record<Tenant, FloorCustomer> = {
  acme: {
    customerName: 'Zhang Wei',
    customerPhone: '+86 21 5555 0101',
    shipTo: {
      line1: '88 Century Avenue',
      line2: null,
      city: 'Shanghai',
      postalCode: '200120',
      country: 'CN',
    },
  },
  globex: {
    customerName: 'Maria Schmidt',
    customerPhone: '+49 30 5555 0102',
    shipTo: { line1: 'Friedrichstraße 10', line2: null, city: 'Berlin', postalCode: '10117', country: 'DE' },
  },
  initech: {
    customerName: 'Peter Gibbons',
    customerPhone: '+1 512 555 0103',
    shipTo: { line1: '4120 Freidrich Lane', line2: null, city: 'Austin', postalCode: '78744', country: 'US' },
  },
};

/** Items per tenant at the start of a schedule, by SKU (a stable order for the plan's indices). */
async function catalogue(server: ControlledServer): Promise<Record<Tenant, { id: string; sku: string }[]>> {
  const rows = await server
    .db()
    .selectFrom('items')
    .select(['tenant_id', 'id', 'sku'])
    .where('deleted', '=', false)
    .orderBy('sku')
    .execute();
  const out = { acme: [], globex: [], initech: [] } as Record<Tenant, { id: string; sku: string }[]>;
  for (const r of rows)
    if ((TENANTS as readonly string[]).includes(r.tenant_id)) out[r.tenant_id as Tenant].push(r);
  return out;
}

/** What the server holds for one tenant, as the oracle compares it. */
type ServerState = {
  movements: Map<string, number>;
  balances: Map<string, number>;
  items: Map<string, { name: string; seq: number }>;
  orders: Map<string, { status: string; seq: number }>;
  receipts: Map<string, { status: string; seq: number }>;
};

async function serverState(server: ControlledServer, tenant: string): Promise<ServerState> {
  const db = server.db();
  const [m, b, i, o, rc] = await Promise.all([
    db.selectFrom('movements').select(['id', 'seq']).where('tenant_id', '=', tenant).execute(),
    db.selectFrom('balances').select(['id', 'quantity']).where('tenant_id', '=', tenant).execute(),
    db
      .selectFrom('items')
      .select(['id', 'name', 'seq'])
      .where('tenant_id', '=', tenant)
      .where('deleted', '=', false)
      .execute(),
    db
      .selectFrom('orders')
      .select(['id', 'status', 'seq'])
      .where('tenant_id', '=', tenant)
      .where('deleted', '=', false)
      .execute(),
    db
      .selectFrom('receipts')
      .select(['id', 'status', 'seq'])
      .where('tenant_id', '=', tenant)
      .where('deleted', '=', false)
      .execute(),
  ]);
  const floor = (rows: { id: string; status: string; seq: unknown }[]) =>
    new Map(rows.map((r) => [r.id, { status: r.status, seq: Number(r.seq) }]));
  return {
    movements: new Map(m.map((r) => [r.id, Number(r.seq)])),
    balances: new Map(b.filter((r) => Number(r.quantity) !== 0).map((r) => [r.id, Number(r.quantity)])),
    items: new Map(i.map((r) => [r.id, { name: r.name, seq: Number(r.seq) }])),
    orders: floor(o),
    receipts: floor(rc),
  };
}

/** Differences between a client's partition and the server (empty when they agree). */
function divergence(s: ServerState, c: ClientSnapshot, tenant: string): string[] {
  const d: string[] = [];
  const cm = new Map(c.movements.map((m) => [m.id, m.seq]));
  for (const [id, seq] of s.movements)
    if (cm.get(id) !== seq) d.push(`movement ${id}: server seq ${seq}, client ${cm.get(id) ?? 'missing'}`);
  for (const [id, seq] of cm)
    if (!s.movements.has(id)) d.push(`movement ${id} (seq ${seq}) only on the client`);
  const cb = new Map(c.balances.filter((b) => b.quantity !== 0).map((b) => [b.id, b.quantity]));
  for (const [id, q] of s.balances)
    if (cb.get(id) !== q) d.push(`balance ${id}: server ${q}, client ${cb.get(id) ?? 'missing'}`);
  for (const [id, q] of cb) if (!s.balances.has(id)) d.push(`balance ${id} = ${q} only on the client`);
  const ci = new Map(c.items.map((i) => [i.id, i]));
  for (const [id, it] of s.items) {
    const mine = ci.get(id);
    if (!mine || mine.name !== it.name || mine.seq !== it.seq)
      d.push(
        `item ${id}: server ${it.name}@${it.seq}, client ${mine ? `${mine.name}@${mine.seq}` : 'missing'}`,
      );
  }
  for (const id of ci.keys()) if (!s.items.has(id)) d.push(`item ${id} only on the client`);
  for (const [what, server, mine] of [
    ['order', s.orders, c.orders],
    ['inbound notice', s.receipts, c.receipts],
  ] as const) {
    const local = new Map<string, FloorDocState>(mine.map((x) => [x.id, x]));
    for (const [id, doc] of server) {
      const l = local.get(id);
      if (!l || l.status !== doc.status || l.seq !== doc.seq)
        d.push(
          `${what} ${id}: server ${doc.status}@${doc.seq}, client ${l ? `${l.status}@${l.seq}` : 'missing'}`,
        );
    }
    for (const id of local.keys()) if (!server.has(id)) d.push(`${what} ${id} only on the client`);
  }
  const foreign = [...c.items, ...c.movements, ...c.balances, ...c.orders, ...c.receipts].filter(
    (x) => x.tenantId !== tenant,
  );
  if (foreign.length) d.push(`${foreign.length} documents of another tenant in the ${tenant} partition`);
  return d;
}

/** Changes a client still has to push: live and deleted documents, and unsequenced movements. */
const pendingOf = (c: ClientSnapshot) =>
  Math.max(
    c.pending,
    c.items.filter((i) => i.pending > 0).length + c.movements.filter((m) => m.seq === 0).length,
  );

/**
 * What a client still holds unpushed, each change beside the server's copy of the document (seq,
 * status, deleted) and whether the server already recorded its pending audit entries: the text a
 * "did not push" timeout prints, so a stuck order or notice is named, not only counted.
 */
async function describePending(server: ControlledServer, c: Live, ops: Op[]): Promise<string> {
  const pending = await c.call('pendingDetail');
  const db = server.db();
  const ids = (coll: string) => pending.filter((p) => p.collection === coll).map((p) => p.id);
  const read = async (table: 'items' | 'movements' | 'orders' | 'receipts') => {
    const wanted = ids(table);
    if (!wanted.length) return [] as { id: string; seq: number; status: string | null; deleted: boolean }[];
    if (table === 'orders' || table === 'receipts')
      return (
        await db
          .selectFrom(table)
          .select(['id', 'seq', 'status', 'deleted'])
          .where('id', 'in', wanted)
          .execute()
      ).map((r) => ({ ...r, seq: Number(r.seq) }));
    if (table === 'items')
      return (
        await db.selectFrom('items').select(['id', 'seq', 'deleted']).where('id', 'in', wanted).execute()
      ).map((r) => ({ ...r, seq: Number(r.seq), status: null }));
    return (await db.selectFrom('movements').select(['id', 'seq']).where('id', 'in', wanted).execute()).map(
      (r) => ({
        ...r,
        seq: Number(r.seq),
        status: null,
        deleted: false,
      }),
    );
  };
  const onServer = (
    await Promise.all((['items', 'movements', 'orders', 'receipts'] as const).map(read))
  ).flat();
  const entryIds = pending.flatMap((p) => p.entries.map((e) => e.id));
  const audited = new Set(
    entryIds.length
      ? (await db.selectFrom('audit_log').select('id').where('id', 'in', entryIds).execute()).map((r) => r.id)
      : [],
  );
  return `pending: ${JSON.stringify({
    changes: pending.map((p) => ({
      ...p,
      op: ops.find((o) => o.docId === p.id)?.kind,
      entries: p.entries.map((e) => ({ ...e, onServer: audited.has(e.id) })),
      server: onServer.find((r) => r.id === p.id) ?? null,
    })),
    status: await c.call('status'),
  })}${await syncStories(c, pending)}`;
}

/** Each stuck order's, notice's or movement's replication story (issue #7 diagnostics), a line per step. */
async function syncStories(
  c: Live,
  pending: readonly Pick<PendingDetail, 'collection' | 'id'>[],
): Promise<string> {
  let out = '';
  for (const p of pending) {
    if (!isTraced(p.collection)) continue;
    const lines = await c.call('syncDebug', p.collection, p.id);
    out += `\n  ${p.collection} ${p.id}:\n${lines.map((l) => `    ${l}`).join('\n')}`;
  }
  return out;
}

const FLOOR_OPS = new Set<OpKind>([
  'receipt-create',
  'receive-line',
  'order-create',
  'order-work',
  'order-cancel',
]);

/**
 * What a planned floor operation does on this PC now, from what its screens show (null: nothing
 * to do it on). Orders and notices of this schedule come first, so two PCs of one tenant work on
 * the same ones (op.acme and mgr: concurrent edits of one order, merged field by field).
 */
async function floorAction(
  c: Live,
  seed: number,
  step: Extract<Step, { kind: 'op' }>,
  stepNo: number,
  tenant: Tenant,
  here: Set<string>,
  list: { id: string; sku: string }[],
  made: { orders: Set<string>; receipts: Set<string> },
): Promise<FloorAction | null> {
  const docs = await c.call('floorDocs');
  const choose = (states: FloorDocState[], mine: Set<string>) => {
    const open = states.filter((d) => !FINAL.has(d.status)).sort((a, b) => a.id.localeCompare(b.id));
    const ours = open.filter((d) => mine.has(d.id));
    const from = ours.length > 0 ? ours : open;
    return from.length > 0 ? from[step.item % from.length]! : null;
  };
  const available = list.filter((i) => here.has(i.id));
  if (available.length === 0) return null;
  const itemAt = (k: number) => available[(step.item + k * 5) % available.length]!;
  const lineCount = 1 + (step.qty % 3);
  // A document number unique in the run: the schedule's seed and the step.
  const tag = `${seed.toString(36).toUpperCase()}-${stepNo}`;
  switch (step.op) {
    case 'order-create': {
      // The plan gives order creation to the manager (operators may not set customers).
      const lines = new Map<string, number>();
      for (let k = 0; k < lineCount; k++) lines.set(itemAt(k).id, 1 + ((step.qty + k) % 3));
      return {
        kind: 'order-create',
        number: `SO-R${tag}`,
        customer: CUSTOMER[tenant],
        lines: [...lines].map(([itemId, qty]) => ({ itemId, qty })),
      };
    }
    case 'order-cancel': {
      const o = choose(docs.orders, made.orders);
      return o ? { kind: 'order-cancel', orderId: o.id, reason: 'customer withdrew the order' } : null;
    }
    case 'receipt-create': {
      const lines = new Map<string, number>();
      // Batch 0: a blind receipt (no lines); else a notice of one to three lines.
      if (step.batch !== 0)
        for (let k = 0; k < lineCount; k++) lines.set(itemAt(k).id, 6 * (1 + ((step.qty + k) % 3)));
      return {
        kind: 'receipt-create',
        reference: `ASN-R${tag}`,
        lines: [...lines].map(([itemId, expectedQty]) => ({ itemId, expectedQty })),
      };
    }
    case 'receive-line': {
      const r = step.batch === 0 && step.qty < 4 ? null : choose(docs.receipts, made.receipts);
      const batch = step.batch === 0 ? null : `LOT-${step.batch}`;
      return {
        kind: 'receive',
        receiptId: r?.id ?? null,
        itemId: itemAt(0).id,
        qty: step.qty * 2,
        batch,
        expiresAt: batch ? new Date(Date.UTC(2031, step.batch, 1)).toISOString().slice(0, 10) : null,
      };
    }
    default:
      break;
  }
  const o = choose(docs.orders, made.orders);
  return o ? { kind: 'order-work', orderId: o.id } : null;
}

/** Play one schedule against the running server; throws (with the seed) when the oracle objects. */
export async function runSchedule(
  browser: Browser,
  server: ControlledServer,
  assets: Map<string, [string, string | Buffer]>,
  plan: Plan,
  log: (line: string) => void = () => undefined,
): Promise<ScheduleResult> {
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  const r = rng(plan.seed ^ 0x5eed);
  const faults: Record<string, number> = {};
  const bump = (k: string, n = 1) => (faults[k] = (faults[k] ?? 0) + n);
  const items = await catalogue(server);
  const ops: Op[] = [];
  const floorOps: FloorOp[] = [];
  /** Orders and inbound notices this schedule created (its floor work prefers them). */
  const floorMade = { orders: new Set<string>(), receipts: new Set<string>() };
  const live: Live[] = [];
  let repairs: ScheduleResult['repairs'] | null = null;

  try {
    // The PCs start together, as a shift does.
    live.push(
      ...(await Promise.all(
        plan.clients.map(async (spec, i) => {
          const pc = await startPc({
            browser,
            serverUrl: () => server.url,
            assets,
            username: spec.username,
            skewMs: spec.skewMs,
            rand: rng(plan.seed + i * 7919),
            log,
          });
          return Object.assign(pc, { spec, backAt: null });
        }),
      )),
    );
    await Promise.all(live.map((c) => c.open()));
    if (plan.clients.some((c) => c.skewMs !== 0)) bump('clock-skew');
    phases['setup'] = Date.now() - t0;

    for (let stepNo = 0; stepNo < plan.steps.length; stepNo++) {
      const step = plan.steps[stepNo]!;
      // Clients that were closed come back (signing in offline if their network is down).
      for (const c of live) {
        if (c.backAt !== null && c.backAt <= stepNo) {
          c.backAt = null;
          await c.open();
        }
      }
      const c = 'client' in step ? live[step.client]! : null;
      if (process.env['RELIABILITY_DEBUG'] && c?.page)
        log(`step ${stepNo} ${JSON.stringify(step)} at ${JSON.stringify(await c.call('status'))}`);
      switch (step.kind) {
        case 'op': {
          if (!c?.page) break;
          const status = await c.call('status');
          const tenant = status.tenantId as Tenant | null;
          if (!tenant) break;
          const list = items[tenant];
          // A user acts on what their screen shows: an item not synced yet cannot be picked.
          const here = new Set((await c.call('itemIds')).map((i) => i.id));
          const item = list[step.item % list.length]!;
          const loc = LOCATIONS[step.loc]!;
          const loc2 = LOCATIONS[step.loc2 === step.loc ? (step.loc + 1) % LOCATIONS.length : step.loc2]!;
          const batch = step.batch === 0 ? null : `LOT-${step.batch}`;
          const base = { client: step.client, username: c.spec.username, tenant };
          if (FLOOR_OPS.has(step.op)) {
            const action = await floorAction(c, plan.seed, step, stepNo, tenant, here, list, floorMade);
            if (!action) {
              bump('skipped-no-floor-document');
              break;
            }
            const out = await c.call('floor', action);
            if (process.env['RELIABILITY_DEBUG']) log(`  floor ${JSON.stringify(out)}`);
            bump(`floor:${action.kind}:${out.done ?? `refused-locally:${out.refused}`}`);
            if (out.docId && action.kind.endsWith('-create') && out.done === 'created')
              floorMade[out.entity].add(out.docId);
            for (const m of out.movements)
              ops.push({
                ...base,
                kind: `${step.op}:${m.type}`,
                collection: 'movements',
                docId: m.id,
                // A pick or shipment takes stock: whether it is there depends on the other PCs.
                expect: m.type === 'receipt' ? 'accept' : 'either',
              });
            if (out.docId && out.entries.length > 0)
              floorOps.push({
                ...base,
                kind: step.op,
                entity: out.entity,
                docId: out.docId,
                done: out.done,
                entries: out.entries,
                status: out.status,
              });
            break;
          }
          if (step.op === 'rename' || step.op === 'delete-unconfirmed') {
            // The manager edits only the first half of the catalogue and deletes only from the
            // second: an accepted rename never shares a push with a refused delete of one item.
            const half = Math.floor(list.length / 2);
            const idx = step.item % half;
            const target = step.op === 'rename' ? list[idx]! : list[half + idx]!;
            if (!here.has(target.id)) {
              bump('skipped-not-synced');
              break;
            }
            if (step.op === 'rename') {
              const name = `${c.spec.editor ? 'Renamed' : 'Op-rename'} ${randomUUID().slice(0, 8)}`;
              const auditId = await c.call('rename', target.id, name);
              ops.push({
                ...base,
                kind: step.op,
                collection: 'items',
                docId: target.id,
                expect: c.spec.editor ? 'accept' : 'reject',
                name,
                auditId,
              });
            } else {
              await c.call('remove', target.id, null);
              ops.push({ ...base, kind: step.op, collection: 'items', docId: target.id, expect: 'reject' });
            }
            break;
          }
          if (!here.has(item.id)) {
            bump('skipped-not-synced');
            break;
          }
          const id = randomUUID();
          const spec: MoveSpec = (() => {
            switch (step.op) {
              case 'receipt':
                return {
                  id,
                  itemId: item.id,
                  type: 'receipt',
                  quantity: step.qty * 3,
                  from: null,
                  to: loc,
                  batch,
                };
              case 'transfer':
                return {
                  id,
                  itemId: item.id,
                  type: 'transfer',
                  quantity: step.qty,
                  from: loc,
                  to: loc2,
                  batch,
                };
              case 'pick':
                return { id, itemId: item.id, type: 'pick', quantity: step.qty, from: loc, to: null, batch };
              case 'write-off-confirmed':
                return {
                  id,
                  itemId: item.id,
                  type: 'adjustment',
                  quantity: step.qty,
                  from: loc,
                  to: null,
                  batch,
                  confirmation: { typed: batch ?? item.sku, reason: 'damaged on the floor' },
                };
              case 'write-off-unconfirmed':
                return {
                  id,
                  itemId: item.id,
                  type: 'adjustment',
                  quantity: step.qty,
                  from: loc,
                  to: null,
                  batch,
                };
              default:
                // A movement of an item that does not exist (a stale scan, a forged id).
                return {
                  id,
                  itemId: randomUUID(),
                  type: 'receipt',
                  quantity: step.qty,
                  from: null,
                  to: loc,
                  batch,
                };
            }
          })();
          await c.call('move', spec);
          const refused = step.op === 'write-off-unconfirmed' || step.op === 'ghost-item';
          const takesStock =
            step.op === 'transfer' || step.op === 'pick' || step.op === 'write-off-confirmed';
          ops.push({
            ...base,
            kind: step.op,
            collection: 'movements',
            docId: id,
            expect: refused ? 'reject' : takesStock ? 'either' : 'accept',
          });
          break;
        }
        case 'offline':
          if (c && !c.proxy.offline) {
            c.proxy.setOffline(true);
            bump('offline');
          }
          break;
        case 'online':
          if (c?.proxy.offline) {
            c.proxy.setOffline(false);
            if (c.page) await c.call('online');
          }
          break;
        case 'profile':
          c?.proxy.setProfile(step.profile);
          if (Object.keys(step.profile).length) bump('fault-profile');
          break;
        case 'reload':
          if (c?.page) {
            await c.kill();
            bump('reload');
            await c.open();
          }
          break;
        case 'close':
          if (c?.page) {
            await c.kill();
            c.backAt = stepNo + step.away;
            bump('close');
          }
          break;
        case 'restart':
          await server.restart();
          bump('server-restart');
          break;
        case 'switch':
          if (c?.page) {
            const tenant = c.spec.tenants[step.tenant % c.spec.tenants.length]!;
            await c.call('switchTenant', tenant);
          }
          break;
        case 'pause':
          await new Promise((res) => setTimeout(res, step.ms));
          break;
      }
      if (r() < 0.3) await new Promise((res) => setTimeout(res, 50 + Math.floor(r() * 200)));
    }

    phases['steps'] = Date.now() - t0 - phases['setup'];
    // ---- Everything back: network, pages, sessions; then wait for the clients to settle. ----
    for (const c of live) {
      c.proxy.setOffline(false);
      c.proxy.setProfile({});
      for (const [k, v] of Object.entries(c.proxy.counts)) bump(k, v);
    }
    await Promise.all(
      live.map(async (c) => {
        if (!c.page) {
          c.backAt = null;
          await c.open();
        }
        await c.call('online');
        await until(
          `${c.spec.username} to be signed in online`,
          async () => {
            const s = await c.call('status');
            if (!s.offline && !s.needsSignIn) return true;
            await c.call('reauthenticate');
            return null;
          },
          30_000,
        );
      }),
    );
    // Round 1: every client pushed everything it holds (each tenant of the manager in turn).
    await Promise.all(
      live.map(async (c) => {
        for (const tenant of c.spec.tenants) {
          await c.call('switchTenant', tenant);
          await until(
            `${c.spec.username} to push its ${tenant} changes`,
            async () => (pendingOf(await c.call('snapshot')) === 0 ? true : null),
            45_000,
            async () => describePending(server, c, ops),
          );
        }
      }),
    );
    phases['pushed'] = Date.now() - t0;
    // Round 2: nothing is left to push; every client must now agree with the server.
    const snapshots = new Map<string, ClientSnapshot>();
    await Promise.all(
      live.map(async (c) => {
        const order = [...c.spec.tenants].reverse(); // the open one first: no reopen to help it
        for (const tenant of order) {
          await c.call('switchTenant', tenant);
          const snap = await until(
            `${c.spec.username} to agree with the server on ${tenant}`,
            async () => {
              const [s, snap] = await Promise.all([serverState(server, tenant), c.call('snapshot')]);
              return divergence(s, snap, tenant).length === 0 ? snap : null;
            },
            45_000,
            async () => {
              const [s, snap] = await Promise.all([serverState(server, tenant), c.call('snapshot')]);
              const d = divergence(s, snap, tenant);
              // The replication story of the first diverging orders and notices (issue #7).
              const floor = d
                .map((line) => /^(order|inbound notice) ([0-9a-f-]{36}):/.exec(line))
                .filter((m) => m !== null)
                .slice(0, 3)
                .map((m) => ({ collection: m[1] === 'order' ? 'orders' : 'receipts', id: String(m[2]) }));
              return `${d.slice(0, 15).join('\n')}${await syncStories(c, floor)}`;
            },
          );
          snapshots.set(`${c.spec.username}|${tenant}`, snap);
          if (process.env['RELIABILITY_DEBUG'])
            log(`${c.spec.username}|${tenant} attention ${JSON.stringify(snap.attention)}`);
        }
      }),
    );
    phases['agreed'] = Date.now() - t0;
    repairs = await collectRepairs(live);
    reportRepairs(plan.seed, repairs);
    // Each realigned record's story: how the copy and RxDB's record came apart (master-record.ts).
    for (const r of repairs.filter((x) => x.realigned)) {
      const c = live.find((x) => x.spec.username === r.username);
      if (c)
        log(
          `realigned ${r.username}${await syncStories(c, [r]).catch((e: unknown) => ` (no story: ${String(e)})`)}`,
        );
    }
    await judge(server, plan, live, ops, floorOps, snapshots);
    log(`phases ${JSON.stringify(phases)} total ${Date.now() - t0} ms`);
    const accepted =
      ops.filter((o) => o.expect === 'accept').length + floorOps.filter((o) => o.accepted).length;
    return {
      seed: plan.seed,
      repairs,
      operations: ops.length + floorOps.length,
      accepted,
      rejected: ops.length + floorOps.length - accepted,
      faults,
      ms: Date.now() - t0,
    };
  } finally {
    // A schedule that failed before the clients agreed: its repairs may explain why.
    if (repairs === null) reportRepairs(plan.seed, await collectRepairs(live).catch(() => []));
    for (const c of live) await c.dispose();
    if (!server.running) await server.start();
  }
}

/** Every client's repairs (issue #7), pages gone included. */
async function collectRepairs(live: Live[]): Promise<ScheduleResult['repairs']> {
  const out: ScheduleResult['repairs'] = [];
  for (const c of live) for (const r of await c.repairs()) out.push({ ...r, username: c.spec.username });
  return out;
}

/** Printed with the seed, so a repaired divergence can be replayed and its cause looked for. */
function reportRepairs(seed: number, repairs: ScheduleResult['repairs']): void {
  if (repairs.length === 0) return;
  const line = `repaired divergences: ${repairs
    .map(
      (r) =>
        `${r.username} ${r.tenantId}/${r.collection}/${r.id} ${r.record ? `seq ${r.localSeq}: RxDB's record of the accepted push restored` : `seq ${r.localSeq} → ${r.serverSeq}${r.pending ? ' (it carried local entries)' : ''}${r.realigned ? ": RxDB's record of the copy realigned" : ''}${r.settled ? ': accepted movement settled (RxDB left it at seq 0)' : ''}`} at ${r.at}`,
    )
    .join('; ')}`;
  console.log(`[seed ${seed}] ${line}`);
}

/**
 * The oracle, after every client agreed with the server:
 * - no accepted write lost, none applied twice (movements by id; renames by final state);
 * - every balance equals the server's recomputation from the ledger (clients agree: checked above);
 * - exactly one audit entry per accepted change, none for a refused one; every tenant's chain verifies;
 * - every refused change is in its author's Needs attention list, and nothing accepted is there;
 * - no client holds anything of a tenant it is not authorized for.
 */
async function judge(
  server: ControlledServer,
  plan: Plan,
  live: Live[],
  ops: Op[],
  floorOps: FloorOp[],
  snapshots: Map<string, ClientSnapshot>,
): Promise<void> {
  const db = server.db();
  const problems: string[] = [];

  // Movements by id, and their audit entries.
  const moveOps = ops.filter((o) => o.collection === 'movements');
  const ids = moveOps.map((o) => o.docId);
  const stored = ids.length
    ? await db.selectFrom('movements').select(['id', 'tenant_id']).where('id', 'in', ids).execute()
    : [];
  const storedCount = new Map<string, number>();
  for (const s of stored) storedCount.set(s.id, (storedCount.get(s.id) ?? 0) + 1);
  const audits = ids.length
    ? await db
        .selectFrom('audit_log')
        .select(['entity_id', 'tenant_id', 'action'])
        .where('entity', '=', 'movements')
        .where('entity_id', 'in', ids)
        .execute()
    : [];
  const auditCount = new Map<string, number>();
  for (const a of audits) auditCount.set(a.entity_id, (auditCount.get(a.entity_id) ?? 0) + 1);
  // Stock-taking movements: the server's answer decides which of the two clean outcomes to check.
  for (const o of moveOps)
    if (o.expect === 'either') o.expect = storedCount.has(o.docId) ? 'accept' : 'reject';
  for (const o of moveOps) {
    const n = storedCount.get(o.docId) ?? 0;
    const a = auditCount.get(o.docId) ?? 0;
    if (o.expect === 'accept') {
      if (n !== 1)
        problems.push(`accepted ${o.kind} ${o.docId} by ${o.username} is on the server ${n} times`);
      if (a !== 1) problems.push(`accepted ${o.kind} ${o.docId} by ${o.username} has ${a} audit entries`);
    } else {
      if (n !== 0) problems.push(`refused ${o.kind} ${o.docId} by ${o.username} was applied on the server`);
      if (a !== 0) problems.push(`refused ${o.kind} ${o.docId} by ${o.username} has ${a} audit entries`);
    }
    const mine = snapshots.get(`${o.username}|${o.tenant}`);
    const local = mine?.movements.find((m) => m.id === o.docId);
    if (o.expect === 'accept' && !local)
      problems.push(`accepted ${o.kind} ${o.docId} is gone from ${o.username}'s PC`);
    if (o.expect === 'reject' && local)
      problems.push(`refused ${o.kind} ${o.docId} still counts on ${o.username}'s PC`);
  }
  // No movement anywhere has two audit entries (whoever wrote it, in any schedule).
  const doubled = await db
    .selectFrom('audit_log')
    .select(['entity_id', sql<number>`count(*)`.as('n')])
    .where('entity', '=', 'movements')
    .groupBy('entity_id')
    .having(sql`count(*)`, '>', 1)
    .execute();
  for (const d of doubled) problems.push(`movement ${d.entity_id} has ${d.n} audit entries`);

  // Renames: the last accepted one per item is what the server holds, bound to one entry.
  const lastRename = new Map<string, Op>();
  for (const o of ops) if (o.kind === 'rename' && o.expect === 'accept') lastRename.set(o.docId, o);
  for (const [itemId, o] of lastRename) {
    const row = await db
      .selectFrom('items')
      .select(['name', 'deleted'])
      .where('id', '=', itemId)
      .executeTakeFirst();
    if (!row || row.name !== o.name)
      problems.push(
        `accepted rename of ${itemId} to "${o.name}" by ${o.username} lost: server has "${row?.name}"`,
      );
    if (!o.auditId) {
      problems.push(`rename ${itemId} → "${o.name}": the PC wrote it with no audit entry`);
      continue;
    }
    const n = await db
      .selectFrom('audit_log')
      .select(sql<number>`count(*)`.as('n'))
      .where('id', '=', o.auditId)
      .executeTakeFirstOrThrow();
    if (Number(n.n) !== 1)
      problems.push(`rename ${itemId} → "${o.name}": its audit entry is recorded ${n.n} times`);
  }
  // Every item entry of this schedule's renames: one per item version (no version twice).
  const renamed = [...new Set(ops.filter((o) => o.collection === 'items').map((o) => o.docId))];
  if (renamed.length) {
    const entries = await db
      .selectFrom('audit_log')
      .select(['entity_id', 'after', 'action'])
      .where('entity', '=', 'items')
      .where('entity_id', 'in', renamed)
      .execute();
    const seen = new Set<string>();
    for (const e of entries) {
      const seq = (e.after as { seq?: number } | null)?.seq;
      const key = `${e.entity_id}@${seq}`;
      if (seen.has(key)) problems.push(`item ${e.entity_id} version ${seq} has two audit entries`);
      seen.add(key);
    }
    const refusedNames = ops.filter((o) => o.kind === 'rename' && o.expect === 'reject').map((o) => o.name);
    const bad = await db
      .selectFrom('items')
      .select(['id', 'name', 'deleted'])
      .where('id', 'in', renamed)
      .execute();
    for (const b of bad) {
      if (refusedNames.includes(b.name))
        problems.push(`refused rename of ${b.id} to "${b.name}" was applied`);
      if (b.deleted && ops.some((o) => o.docId === b.id && o.kind === 'delete-unconfirmed'))
        problems.push(`item ${b.id} was deleted without a confirmation`);
    }
  }

  // Ledger and balances: the server's balances are exactly the ledger's sums.
  for (const tenant of TENANTS) {
    const moves = await db
      .selectFrom('movements')
      .select(['item_id', 'quantity', 'from_location_id', 'to_location_id', 'batch'])
      .where('tenant_id', '=', tenant)
      .execute();
    const sums = new Map<string, number>();
    for (const m of moves) {
      const doc = {
        quantity: Number(m.quantity),
        fromLocationId: m.from_location_id,
        toLocationId: m.to_location_id,
      };
      for (const loc of new Set(
        [m.from_location_id, m.to_location_id].filter((x): x is string => x !== null),
      )) {
        const id = balanceId(m.item_id, loc, m.batch);
        sums.set(id, (sums.get(id) ?? 0) + movementDelta(doc, loc));
      }
    }
    const balances = await db
      .selectFrom('balances')
      .select(['id', 'quantity'])
      .where('tenant_id', '=', tenant)
      .execute();
    const have = new Map(balances.map((b) => [b.id, Number(b.quantity)]));
    for (const [id, q] of sums)
      if (Math.abs((have.get(id) ?? 0) - q) > 1e-9)
        problems.push(`${tenant} balance ${id}: stored ${have.get(id) ?? 0}, ledger ${q}`);
    for (const [id, q] of have)
      if (!sums.has(id) && q !== 0) problems.push(`${tenant} balance ${id} = ${q} has no movements`);
    const chain = await verifyTenantChain(db, tenant);
    if (!chain.ok) problems.push(`${tenant} audit chain broken at ${chain.brokenAt}: ${chain.reason}`);
  }

  // Needs attention: every refused change is filed for its author; nothing accepted is.
  for (const o of ops) {
    const c = live[o.client]!;
    const snap = snapshots.get(`${c.spec.username}|${c.spec.tenants[c.spec.tenants.length - 1]}`) ?? null;
    const filed = (snap?.attention ?? []).filter((a) => a.docId === o.docId && a.tenantId === o.tenant);
    if (o.expect === 'reject' && filed.length === 0)
      problems.push(`refused ${o.kind} ${o.docId} by ${o.username} is not in Needs attention`);
    if (o.expect === 'accept' && o.collection === 'movements' && filed.length > 0)
      problems.push(
        `accepted ${o.kind} ${o.docId} by ${o.username} is in Needs attention (${filed.map((f) => f.code).join(', ')})`,
      );
  }

  // Isolation: nothing of a tenant the user may not hold, in any database of the client.
  for (const c of live) {
    for (const [key, snap] of snapshots) {
      if (!key.startsWith(`${c.spec.username}|`)) continue;
      for (const a of snap.attention)
        if (!c.spec.tenants.includes(a.tenantId as Tenant))
          problems.push(`${c.spec.username} holds attention items of ${a.tenantId}`);
      for (const t of TENANTS) {
        if (c.spec.tenants.includes(t) || !c.page) continue;
        const name = await c.call('partitionName', c.userId, t);
        // Its own name, or any partition of that tenant (of whatever user) on this PC.
        if (snap.databases.some((d) => d.includes(name) || d.includes(`__${t}`)))
          problems.push(`${c.spec.username} holds a ${t} partition (${name})`);
      }
    }
  }

  problems.push(...(await judgeFloor(server, live, floorOps, snapshots)));

  if (problems.length) {
    throw new Error(
      `schedule seed ${plan.seed}: ${problems.length} problem(s)\n${problems.slice(0, 30).join('\n')}`,
    );
  }
}

/**
 * The oracle of the floor work (orders, inbound notices), after every client agreed with the
 * server (their status and version: `divergence`):
 * - every document created is on the server once, in its author's tenant, with one `create` entry;
 * - one audit entry per document version, and every local change's entry recorded at most once
 *   (itself, or named as collapsed by the entry of a later edit pushed with it);
 * - an accepted cancellation or shipment is final on the server (nothing undid it);
 * - a change the server did not take is in its author's Needs attention, unless the server held
 *   what it set already (another PC made the same change: nothing lost);
 * - orders ship no more than was picked for them (the ledger movements they generate).
 */
async function judgeFloor(
  server: ControlledServer,
  live: Live[],
  floorOps: FloorOp[],
  snapshots: Map<string, ClientSnapshot>,
): Promise<string[]> {
  const problems: string[] = [];
  if (floorOps.length === 0) return problems;
  const db = server.db();
  const ids = [...new Set(floorOps.map((o) => o.docId))];
  const [entries, orders, receipts, moves] = await Promise.all([
    db
      .selectFrom('audit_log')
      .select(['id', 'tenant_id', 'entity', 'entity_id', 'action', 'after', 'reason'])
      .where('entity', 'in', ['orders', 'receipts'])
      .where('entity_id', 'in', ids)
      .execute(),
    db.selectFrom('orders').select(['id', 'tenant_id', 'status']).where('id', 'in', ids).execute(),
    db.selectFrom('receipts').select(['id', 'tenant_id', 'status']).where('id', 'in', ids).execute(),
    db
      .selectFrom('movements')
      .select(['ref_id', 'type', 'item_id', 'batch', 'quantity'])
      .where('ref_id', 'in', ids)
      .execute(),
  ]);
  const statusOf = (e: { after: unknown }) => (e.after as { status?: string } | null)?.status;
  const seqOf = (e: { after: unknown }) => (e.after as { seq?: number } | null)?.seq;
  const rows = new Map<string, { tenant_id: string; status: string }[]>();
  for (const r of [...orders, ...receipts]) rows.set(r.id, [...(rows.get(r.id) ?? []), r]);

  const versions = new Set<string>();
  for (const e of entries) {
    const key = `${e.entity_id}@${seqOf(e)}`;
    if (versions.has(key))
      problems.push(`${e.entity} ${e.entity_id} version ${seqOf(e)} has two audit entries`);
    versions.add(key);
  }
  for (const o of floorOps) {
    const what = `${o.kind} (${o.done ?? 'partial'}) of ${o.entity} ${o.docId} by ${o.username}`;
    const stored = rows.get(o.docId) ?? [];
    const mine = entries.filter((e) => e.entity_id === o.docId);
    if (o.done === 'created') {
      if (stored.length !== 1 || stored[0]!.tenant_id !== o.tenant)
        problems.push(
          `${what}: on the server ${stored.length} times (${stored.map((r) => r.tenant_id).join(', ')})`,
        );
      const creates = mine.filter((e) => e.action === 'create').length;
      if (creates !== 1) problems.push(`${what}: ${creates} create entries`);
    }
    for (const e of mine)
      if (e.tenant_id !== o.tenant) problems.push(`${what}: an audit entry in tenant ${e.tenant_id}`);
    // The change's own (last) entry decides; earlier ones of one action do not exist (one per action).
    for (const id of o.entries) {
      const direct = mine.filter((e) => e.id === id).length;
      const collapsed = mine.filter((e) => e.id !== id && (e.reason ?? '').includes(id)).length;
      if (direct + collapsed > 1)
        problems.push(`${what}: its entry ${id} is recorded ${direct} + ${collapsed} (collapsed) times`);
      if (direct + collapsed >= 1) {
        o.accepted = true;
        const final = stored[0]?.status;
        if ((o.done === 'cancelled' || o.done === 'shipped') && final !== o.done)
          problems.push(`${what} was accepted, yet the server now holds it ${final}`);
        continue;
      }
      if (o.done === 'created') {
        problems.push(`${what}: its create entry ${id} is not on the server`);
        continue;
      }
      const c = live[o.client]!;
      const snap = snapshots.get(`${c.spec.username}|${c.spec.tenants[c.spec.tenants.length - 1]}`);
      const filed = (snap?.attention ?? []).some((a) => a.docId === o.docId && a.tenantId === o.tenant);
      const held = o.status !== null && mine.some((e) => statusOf(e) === o.status);
      if (!filed && !held)
        problems.push(
          `${what}: not taken by the server (it never held it ${o.status}) and not in Needs attention`,
        );
    }
  }
  // What orders shipped: never more of an item and batch than was picked for them.
  const flow = new Map<string, number>();
  for (const m of moves) {
    if (m.type !== 'pick' && m.type !== 'ship') continue;
    const key = `${m.ref_id} ${m.item_id} ${m.batch ?? '-'}`;
    flow.set(key, (flow.get(key) ?? 0) + (m.type === 'pick' ? 1 : -1) * Number(m.quantity));
  }
  for (const [key, q] of flow) if (q < 0) problems.push(`order ${key}: shipped ${-q} more than was picked`);
  return problems;
}
