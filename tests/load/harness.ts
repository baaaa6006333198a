/**
 * The load run: a fresh PostgreSQL database with `tenants` tenants and `clients` users (per tenant
 * two operators, a manager with a second tenant, finance with an expired membership elsewhere,
 * an auditor; some tenants tighten purchase price), one server in its own process, and every
 * client pulling (incrementally and now and then in full), operators pushing receipts with their
 * audit entries, everyone holding an SSE stream, and probing a tenant it does not belong to.
 *
 * Every pulled or streamed document is checked by the isolation oracle (the shared policy on the
 * generated memberships and overrides, as in tests/integration/isolation/world.ts): it belongs
 * to the tenant asked for, the client is a member there, and it carries no field the role may not
 * read (hidden fields absent, masked ones masked). At the end every pushed movement is counted on
 * the server by id (exactly once, one audit entry each) and every tenant's audit chain verified.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { Entity, FieldOverrides, Role } from '../../shared/access/policy.js';
import { DEFAULT_TENANT_SETTINGS, fieldAccess, MASKED } from '../../shared/access/policy.js';
import type { LoginResponse } from '../../shared/api/auth.js';
import type { SyncCollection } from '../../shared/sync/protocol.js';
import { verifyTenantChain } from '../../server/audit/log.js';
import { hashPassword } from '../../server/auth/service.js';
import { createPostgresDatabase } from '../../server/db/connect.js';
import { DEMO_WAREHOUSE, demoLocations, stableUuid } from '../../server/db/seed.js';
import type { Database, DB } from '../../server/db/types.js';
import type { CallResult, RetryLog, Stream } from './client.js';
import {
  call,
  hasErrorBody,
  movementPush,
  openStream,
  percentile,
  pullPage,
  pushMovements,
  withRetry,
} from './client.js';
import type { ServerMessage } from './server-process.js';

export type LoadConfig = {
  /** Admin URL of the PostgreSQL cluster (the fresh database is created next to it). */
  adminUrl: string;
  durationMs: number;
  clients: number;
  tenants: number;
  itemsPerTenant: number;
  pushBatch: number;
  /** A client's pause between two rounds of work (a person at a scanner, not a tight loop). */
  thinkMs: number;
  /** The URL the server uses for its database (e.g. through a fault proxy); direct by default. */
  serverDatabaseUrl?: (directUrl: string) => string;
  /** A fault run once at half time; `503 db_unavailable` answers are then retried, not errors. */
  fault?: { name: string; run: () => Promise<void> };
  log?: (line: string) => void;
};

export type MemorySample = { atS: number; rssMB: number; heapMB: number };

export type LoadResult = {
  durationS: number;
  clients: number;
  tenants: number;
  streams: number;
  requests: number;
  pulls: number;
  pulledDocuments: number;
  pushes: number;
  movementsPushed: number;
  movementsStoredOnce: number;
  lost: number;
  duplicates: number;
  auditEntriesOnce: number;
  chainsVerified: number;
  streamEvents: number;
  probesRefused: number;
  errors: number;
  isolationViolations: number;
  retried503: number;
  fault: string;
  pullP50Ms: number;
  pullP95Ms: number;
  pushP50Ms: number;
  pushP95Ms: number;
  rssStartMB: number;
  rssEndMB: number;
  heapStartMB: number;
  heapEndMB: number;
  gcBeforeSamples: boolean;
  memoryGrowthFlagged: boolean;
  /** The machine: cores and 1-minute load average at start and end (latency depends on it). */
  machine: string;
  memorySamples: MemorySample[];
  errorSamples: string[];
  violationSamples: string[];
};

const ROLE_CYCLE: Role[] = ['operator', 'operator', 'manager', 'finance', 'auditor'];
const COLLECTIONS: SyncCollection[] = ['items', 'movements', 'balances'];
const MB = 1024 * 1024;
const round1 = (x: number): number => Math.round(x * 10) / 10;

type Member = { tenant: string; role: Role; active: boolean };
type Client = {
  n: number;
  userId: string;
  username: string;
  deviceId: string;
  primary: string;
  memberships: Member[];
  /** A tenant the client has no live membership in. */
  probe: string;
  session?: LoginResponse;
  stream?: Stream;
};

type World = {
  tenants: string[];
  overrides: Record<string, FieldOverrides>;
  items: Map<string, string[]>;
  clients: Client[];
};

/** Tenants, policies, items, users and memberships, written as the owner. */
async function insertWorld(owner: Kysely<DB>, cfg: LoadConfig): Promise<World> {
  const tenants = Array.from({ length: cfg.tenants }, (_, i) => `load-t${String(i).padStart(2, '0')}`);
  const overrides: Record<string, FieldOverrides> = {};
  tenants.forEach((t, i) => {
    // Odd tenants tighten purchase price: finance sees it masked, auditors not at all.
    overrides[t] = i % 2 === 1 ? { items: { purchasePrice: { finance: 'masked', auditor: '-' } } } : {};
  });
  await owner
    .insertInto('tenants')
    .values(tenants.map((id) => ({ id, name: `Load ${id}` })))
    .execute();
  await owner
    .insertInto('tenant_policies')
    .values(
      tenants.map((id) => ({
        tenant_id: id,
        version: 1,
        overrides: JSON.stringify(overrides[id] ?? {}),
        settings: JSON.stringify({ ...DEFAULT_TENANT_SETTINGS, wipeOnLogout: false }),
      })),
    )
    .execute();
  // The demo site (warehouse and bins) the load clients' receipts name (newMovement); the server
  // refuses movements to unknown bins. Site-wide reference data, not per tenant.
  await owner
    .insertInto('warehouses')
    .values(DEMO_WAREHOUSE)
    .onConflict((oc) => oc.doNothing())
    .execute();
  await owner
    .insertInto('locations')
    .values(demoLocations())
    .onConflict((oc) => oc.doNothing())
    .execute();
  const now = new Date();
  const items = new Map<string, string[]>();
  for (const t of tenants) {
    const rows = Array.from({ length: cfg.itemsPerTenant }, (_, i) => ({
      tenant_id: t,
      id: stableUuid(`${t}/item/${i + 1}`),
      sku: `${t.toUpperCase()}-${String(i + 1).padStart(5, '0')}`,
      name: `Load item ${i + 1}`,
      barcode: null,
      uom: 'pcs',
      purchase_price: 1 + ((i * 37) % 500) / 10,
      updated_at: now,
      seq: i + 1,
      deleted: false,
    }));
    await owner.insertInto('items').values(rows).execute();
    items.set(
      t,
      rows.map((r) => r.id),
    );
  }
  await owner
    .insertInto('tenant_seq')
    .values(tenants.map((tenant_id) => ({ tenant_id, last_seq: cfg.itemsPerTenant })))
    .execute();

  const clients: Client[] = [];
  for (let c = 0; c < cfg.clients; c++) {
    const ti = c % cfg.tenants;
    const role = ROLE_CYCLE[Math.floor(c / cfg.tenants) % ROLE_CYCLE.length] ?? 'operator';
    const primary = tenants[ti] ?? '';
    const memberships: Member[] = [{ tenant: primary, role, active: true }];
    if (cfg.tenants > 2 && role === 'manager')
      memberships.push({ tenant: tenants[(ti + 1) % cfg.tenants] ?? '', role: 'auditor', active: true });
    if (cfg.tenants > 3 && role === 'finance')
      memberships.push({ tenant: tenants[(ti + 2) % cfg.tenants] ?? '', role: 'finance', active: false });
    const live = new Set(memberships.filter((m) => m.active).map((m) => m.tenant));
    // Finance probes the tenant whose membership expired; everyone else one they never had.
    const expiredIn = memberships.find((m) => !m.active)?.tenant;
    const order = tenants.map((_, k) => tenants[(ti + Math.ceil(cfg.tenants / 2) + k) % cfg.tenants] ?? '');
    const probe = expiredIn ?? order.find((t) => !live.has(t)) ?? '';
    const username = `load-u${String(c).padStart(3, '0')}`;
    clients.push({
      n: c,
      userId: `u-${username}`,
      username,
      deviceId: `load-pc-${c}`,
      primary,
      memberships,
      probe,
    });
  }
  const passwordHash = await hashPassword('load-password');
  await owner
    .insertInto('users')
    .values(
      clients.map((c) => ({
        id: c.userId,
        username: c.username,
        display_name: c.username,
        password_hash: passwordHash,
        disabled: false,
      })),
    )
    .execute();
  const expired = { from: new Date(Date.now() - 10 * 86_400_000), until: new Date(Date.now() - 86_400_000) };
  await owner
    .insertInto('memberships')
    .values(
      clients.flatMap((c) =>
        c.memberships.map((m) => ({
          user_id: c.userId,
          tenant_id: m.tenant,
          role: m.role,
          valid_from: m.active ? null : expired.from,
          valid_until: m.active ? null : expired.until,
          policy_version: 1,
        })),
      ),
    )
    .execute();
  return { tenants, overrides, items, clients };
}

/** The oracle: why `doc`, pulled or streamed from `tenant` by a `role`, must not have reached it. */
export function violation(
  entity: Entity,
  tenant: string,
  role: Role | null,
  overrides: FieldOverrides | undefined,
  doc: Record<string, unknown>,
): string | null {
  if (role === null) return `${entity} ${String(doc.id)} of ${tenant} reached a non-member`;
  if (doc.tenantId !== tenant)
    return `${entity} ${String(doc.id)} of tenant ${String(doc.tenantId)} in a pull of ${tenant}`;
  for (const [key, value] of Object.entries(doc)) {
    const access = fieldAccess(role, entity, key, overrides);
    if (access === '-') return `${entity}.${key} reached ${role} in ${tenant} (hidden)`;
    if (access === 'masked' && value !== MASKED && value !== null)
      return `${entity}.${key} reached ${role} in ${tenant} unmasked`;
  }
  return null;
}

type ServerHandle = {
  url: string;
  pid: number;
  memory(): Promise<{ rss: number; heapUsed: number; gc: boolean }>;
  stop(): Promise<void>;
};

async function startServerProcess(databaseUrl: string): Promise<ServerHandle> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child: ChildProcess = fork(path.join(here, 'server-process.ts'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, LOAD_DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const memoryWaiters: ((m: { rss: number; heapUsed: number; gc: boolean }) => void)[] = [];
  const ready = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server process did not start within 120 s')), 120_000);
    child.on('message', (raw) => {
      const m = raw as ServerMessage;
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({ url: m.url, pid: m.pid });
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`server process failed: ${m.error}`));
      } else if (m.type === 'memory') memoryWaiters.shift()?.(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${String(code)}`));
    });
  });
  const { url, pid } = await ready;
  return {
    url,
    pid,
    memory: () =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error('server process has exited'));
        memoryWaiters.push(resolve);
        child.send({ type: 'memory' });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

async function admin(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Runs the whole load: setup, `durationMs` of mixed work, the final counts. */
export async function runLoad(cfg: LoadConfig): Promise<LoadResult> {
  const log = cfg.log ?? (() => {});
  const name = `bulkhead_load_${randomBytes(6).toString('hex')}`;
  const u = new URL(cfg.adminUrl);
  u.pathname = `/${name}`;
  const directUrl = u.toString();
  await admin(cfg.adminUrl, `CREATE DATABASE ${name}`);
  let server: ServerHandle | null = null;
  let owner: Database | null = null;
  const streams: Stream[] = [];
  try {
    server = await startServerProcess(cfg.serverDatabaseUrl?.(directUrl) ?? directUrl);
    log(`server pid ${server.pid} at ${server.url}, database ${name}`);
    owner = createPostgresDatabase({ url: directUrl, poolSize: 2 });
    const world = await insertWorld(owner.owner, cfg);
    const roleIn = (c: Client, tenant: string): Role | null =>
      c.memberships.find((m) => m.tenant === tenant && m.active)?.role ?? null;

    const retryLog: RetryLog = { failures: [] };
    const errorSamples: string[] = [];
    const violationSamples: string[] = [];
    let errors = 0;
    let violations = 0;
    let requests = 0;
    let pulls = 0;
    let pulledDocuments = 0;
    let pushes = 0;
    let probesRefused = 0;
    let streamEvents = 0;
    const pullMs: number[] = [];
    const pushMs: number[] = [];
    const pushedIds = new Map<string, string[]>();
    const error = (what: string): void => {
      errors += 1;
      if (errorSamples.length < 20) errorSamples.push(what);
    };
    const violate = (what: string): void => {
      violations += 1;
      if (violationSamples.length < 20) violationSamples.push(what);
    };
    const describe = (r: CallResult): string =>
      r.status === 0
        ? `no answer (${r.error ?? '?'})`
        : `${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;

    // Sign in everyone (a few at a time: password hashing is deliberately slow).
    for (let i = 0; i < world.clients.length; i += 5) {
      await Promise.all(
        world.clients.slice(i, i + 5).map(async (c) => {
          const r = await call<LoginResponse>(server?.url ?? '', '/api/auth/login', {
            body: { username: c.username, password: 'load-password', deviceId: c.deviceId },
          });
          requests += 1;
          if (r.status !== 200) throw new Error(`login ${c.username}: ${describe(r)}`);
          c.session = r.body;
        }),
      );
    }
    const url = server.url;
    const token = (c: Client): string => c.session?.accessToken ?? '';

    // Every client holds a stream on its primary tenant; every event is checked as it arrives.
    for (const c of world.clients) {
      const s = await openStream(url, c.primary, token(c));
      requests += 1;
      if (s.status !== 200) error(`stream ${c.username}/${c.primary}: ${s.status}`);
      c.stream = s;
      streams.push(s);
    }
    await Promise.all(streams.map((s) => s.waitFor((e) => e.type === 'hello', 30_000)));

    const checkpoints = new Map<string, number | undefined>();
    /** One pull of `collection` in `tenant` up to date (all pages), every document through the oracle. */
    const pullUpToDate = async (c: Client, tenant: string, collection: SyncCollection, full: boolean) => {
      const key = `${c.n}|${tenant}|${collection}`;
      let checkpoint = full ? undefined : checkpoints.get(key);
      for (;;) {
        const r = await withRetry(
          () => pullPage(url, token(c), tenant, collection, checkpoint, 500),
          retryLog,
        );
        requests += 1;
        if (r.status !== 200) {
          error(`pull ${tenant}/${collection} by ${c.username}: ${describe(r)}`);
          return;
        }
        pulls += 1;
        pullMs.push(r.ms);
        const role = roleIn(c, tenant);
        for (const d of r.body.documents) {
          pulledDocuments += 1;
          const v = violation(collection as Entity, tenant, role, world.overrides[tenant], d);
          if (v) violate(`${c.username}: ${v}`);
        }
        if (r.body.checkpoint) checkpoint = r.body.checkpoint.seq;
        if (r.body.documents.length < 500) break;
      }
      if (!full || checkpoints.get(key) === undefined) checkpoints.set(key, checkpoint);
    };

    let stop = false;
    let lastRound = 0;
    const worker = async (c: Client): Promise<void> => {
      const role = roleIn(c, c.primary);
      const live = c.memberships.filter((m) => m.active).map((m) => m.tenant);
      let offset = 0;
      for (let i = 0; !stop; i++) {
        for (const tenant of live)
          for (const collection of COLLECTIONS)
            await pullUpToDate(c, tenant, collection, i % 10 === 9 && collection === 'items');
        if (role === 'operator') {
          const itemIds = world.items.get(c.primary) ?? [];
          const { ids, body } = movementPush(c.primary, c.userId, c.deviceId, itemIds, cfg.pushBatch, offset);
          offset += cfg.pushBatch;
          const list = pushedIds.get(c.primary) ?? [];
          pushedIds.set(c.primary, list);
          list.push(...ids);
          const r = await withRetry(() => pushMovements(url, token(c), c.primary, body), retryLog);
          requests += 1;
          if (r.status !== 200) error(`push ${c.primary} by ${c.username}: ${describe(r)}`);
          else {
            pushes += 1;
            pushMs.push(r.ms);
            if (r.body.rejections.length > 0)
              error(`push ${c.primary} by ${c.username} rejected: ${JSON.stringify(r.body.rejections[0])}`);
          }
        }
        if (c.probe && i % 5 === 2) {
          // Isolation probe: a tenant without a live membership must answer 403, nothing else.
          const r = await withRetry(
            () => call(url, `/api/t/${c.probe}/sync/items/pull?limit=10`, { token: token(c) }),
            retryLog,
          );
          requests += 1;
          if (r.status === 403 && hasErrorBody(r.body)) probesRefused += 1;
          else if (r.status === 200) violate(`${c.username} pulled ${c.probe} without a membership`);
          else error(`probe ${c.probe} by ${c.username}: ${describe(r)}`);
        }
        if (c.n === 0) lastRound = i;
        if (!stop) await new Promise((res) => setTimeout(res, cfg.thinkMs * (0.5 + Math.random())));
      }
    };

    // Warm-up (first full sync of everyone), then the starting memory figure.
    await Promise.all(
      world.clients.map(async (c) => {
        for (const m of c.memberships.filter((x) => x.active))
          for (const collection of COLLECTIONS) await pullUpToDate(c, m.tenant, collection, false);
      }),
    );
    const t0 = Date.now();
    const loadStart = os.loadavg()[0] ?? 0;
    const samples: MemorySample[] = [];
    const sample = async (): Promise<void> => {
      const m = await server?.memory();
      if (m)
        samples.push({
          atS: round1((Date.now() - t0) / 1000),
          rssMB: round1(m.rss / MB),
          heapMB: round1(m.heapUsed / MB),
        });
    };
    const start = await server.memory();
    samples.push({ atS: 0, rssMB: round1(start.rss / MB), heapMB: round1(start.heapUsed / MB) });
    log(`warm-up done; server RSS ${round1(start.rss / MB)} MB, heap ${round1(start.heapUsed / MB)} MB`);

    const deadline = t0 + cfg.durationMs;
    const workers = world.clients.map((c) => worker(c));
    const sampler = (async () => {
      const every = Math.max(2000, cfg.durationMs / 6);
      let faulted = false;
      while (!stop) {
        const next = Math.min(deadline, Date.now() + every);
        await new Promise((res) => setTimeout(res, Math.max(0, next - Date.now())));
        if (cfg.fault && !faulted && Date.now() >= t0 + cfg.durationMs / 2) {
          faulted = true;
          log(`fault: ${cfg.fault.name}`);
          await cfg.fault.run();
          log('fault over');
        }
        if (Date.now() >= deadline) {
          stop = true;
          break;
        }
        await sample();
        log(
          `${Math.round((Date.now() - t0) / 1000)} s: ${requests} requests, ${pushes} pushes, errors ${errors}, violations ${violations}, round ${lastRound}`,
        );
      }
    })();
    await Promise.all([...workers, sampler]);
    const durationS = (Date.now() - t0) / 1000;

    // Streams: still open, and every event was for the stream's own tenant.
    for (const c of world.clients) {
      const s = c.stream;
      if (!s) continue;
      if (s.ended()) error(`stream of ${c.username} ended during the run`);
      for (const e of s.events) {
        streamEvents += 1;
        if ('tenantId' in e && e.tenantId !== c.primary)
          violate(`${c.username}'s ${c.primary} stream carried a ${e.tenantId} event`);
        if (e.type === 'membership-revoked' || e.type === 'session-ended')
          error(`${c.username}'s stream got ${e.type}`);
      }
    }
    for (const s of streams) s.close();

    const end = await server.memory();
    samples.push({ atS: round1(durationS), rssMB: round1(end.rss / MB), heapMB: round1(end.heapUsed / MB) });
    const heapGrowth = end.heapUsed - start.heapUsed;
    const rssGrowth = end.rss - start.rss;
    const memoryGrowthFlagged =
      (heapGrowth > 32 * MB && heapGrowth > 0.5 * start.heapUsed) ||
      (rssGrowth > 128 * MB && rssGrowth > 0.5 * start.rss);

    // Retries: with a fault, its clean 503s are expected and retried; anything else is an error.
    let retried503 = 0;
    for (const f of retryLog.failures) {
      if (cfg.fault && f.status === 503 && f.jsonBody && f.code === 'db_unavailable') retried503 += 1;
      else error(`answer ${f.status} ${f.code ?? ''} ${f.error ?? ''} (retried)`);
    }

    // Nothing lost, nothing twice: every movement a client pushed until success, by id.
    let stored = 0;
    let lost = 0;
    let duplicates = 0;
    let auditOnce = 0;
    let chains = 0;
    for (const [tenant, ids] of pushedIds) {
      for (let i = 0; i < ids.length; i += 5000) {
        const chunk = ids.slice(i, i + 5000);
        const rows = (
          await sql<{
            id: string;
            n: number;
          }>`SELECT id::text AS id, count(*)::int AS n FROM movements WHERE tenant_id = ${tenant} AND id = ANY(${chunk}::uuid[]) GROUP BY id`.execute(
            owner.owner,
          )
        ).rows;
        const audit = (
          await sql<{
            id: string;
            n: number;
          }>`SELECT entity_id AS id, count(*)::int AS n FROM audit_log WHERE tenant_id = ${tenant} AND entity_id = ANY(${chunk}::text[]) GROUP BY entity_id`.execute(
            owner.owner,
          )
        ).rows;
        const counts = new Map(rows.map((r) => [r.id, Number(r.n)]));
        const auditCounts = new Map(audit.map((r) => [r.id, Number(r.n)]));
        for (const id of chunk) {
          const n = counts.get(id) ?? 0;
          if (n === 0) lost += 1;
          else if (n > 1) duplicates += 1;
          else stored += 1;
          if (auditCounts.get(id) === 1) auditOnce += 1;
          else error(`movement ${id} of ${tenant} has ${auditCounts.get(id) ?? 0} audit entries`);
        }
      }
    }
    if (lost > 0) error(`${lost} pushed movements are missing on the server`);
    if (duplicates > 0) error(`${duplicates} movements are stored more than once`);
    for (const t of world.tenants) {
      const v = await verifyTenantChain(owner.owner, t);
      if (v.ok) chains += 1;
      else error(`audit chain of ${t} broken: ${JSON.stringify(v)}`);
    }

    const movementsPushed = [...pushedIds.values()].reduce((a, l) => a + l.length, 0);
    return {
      durationS: round1(durationS),
      clients: world.clients.length,
      tenants: world.tenants.length,
      streams: streams.length,
      requests,
      pulls,
      pulledDocuments,
      pushes,
      movementsPushed,
      movementsStoredOnce: stored,
      lost,
      duplicates,
      auditEntriesOnce: auditOnce,
      chainsVerified: chains,
      streamEvents,
      probesRefused,
      errors,
      isolationViolations: violations,
      retried503,
      fault: cfg.fault?.name ?? 'none',
      pullP50Ms: round1(percentile(pullMs, 50)),
      pullP95Ms: round1(percentile(pullMs, 95)),
      pushP50Ms: round1(percentile(pushMs, 50)),
      pushP95Ms: round1(percentile(pushMs, 95)),
      rssStartMB: round1(start.rss / MB),
      rssEndMB: round1(end.rss / MB),
      heapStartMB: round1(start.heapUsed / MB),
      heapEndMB: round1(end.heapUsed / MB),
      gcBeforeSamples: start.gc,
      memoryGrowthFlagged,
      machine: `${os.cpus().length} cores, load average ${loadStart.toFixed(1)} → ${(os.loadavg()[0] ?? 0).toFixed(1)}`,
      memorySamples: samples,
      errorSamples,
      violationSamples,
    };
  } finally {
    for (const s of streams) s.close();
    await server?.stop().catch(() => {});
    await owner?.close().catch(() => {});
    await admin(
      cfg.adminUrl,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
    ).catch(() => {});
    await admin(cfg.adminUrl, `DROP DATABASE IF EXISTS ${name}`).catch(() => {});
  }
}
