import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, RawBuilder, Selectable } from 'kysely';
import type { Role, TenantPolicy } from '../../shared/access/policy.js';
import { Entity, project } from '../../shared/access/policy.js';
import type { AuditQuery } from '../../shared/api/audit.js';
import type { AuditEntry, AuditPage } from '../../shared/api/audit.js';
import type { ChainedEntry, ChainEntry, ChainVerdict, Confirmation } from '../../shared/audit/chain.js';
import { chainEntryOf, GENESIS_HASH, verifyChain } from '../../shared/audit/chain.js';
import { canonicalJson } from '../../shared/audit/canonical.js';
import type { AuditLogTable, DB } from '../db/types.js';
import { insertJsonText, toIso } from '../sync/mapping.js';

export type NewAuditEntry = {
  tenantId: string;
  actorId: string;
  /** The entry id; a client-recorded entry keeps its own (UUID), server entries get a fresh one. */
  id?: string;
  deviceId?: string | null;
  deviceTime?: Date | string | null;
  action: string;
  entity: string;
  entityId: string;
  /** FULL snapshots (never projected at write). */
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  confirmation?: Confirmation | null;
  compensates?: string | null;
  at: Date;
};

/** A JSON value exactly as jsonb gives it back (undefined members dropped, dates as strings). */
const asStored = (v: unknown): unknown =>
  v === undefined || v === null ? null : (JSON.parse(JSON.stringify(v)) as unknown);

/**
 * `canonicalJson(asStored(v))` in one pass, without the JSON text and the parsed copy in between:
 * the value as `JSON.stringify` sees it (`toJSON`, primitive wrappers, non-finite numbers as null,
 * functions and symbols dropped from objects and null in arrays), written canonically. Undefined
 * when `JSON.stringify` gives nothing (a function, a symbol); throws where it throws (a bigint).
 * A property test holds it to that composition (tests/unit/server/audit-fast.test.ts).
 */
export function storedCanonicalJson(value: unknown, key = ''): string | undefined {
  let v = value;
  if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') v = (toJSON as (k: string) => unknown).call(v, key);
  }
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('storedCanonicalJson: a bigint has no JSON form');
    case 'object': {
      if (v instanceof Number) return storedCanonicalJson(Number(v));
      if (v instanceof String) return JSON.stringify(String(v));
      if (v instanceof Boolean) return v.valueOf() ? 'true' : 'false';
      if (Array.isArray(v)) {
        const a = v as unknown[];
        let out = '[';
        for (let i = 0; i < a.length; i++)
          out += `${i > 0 ? ',' : ''}${storedCanonicalJson(a[i], String(i)) ?? 'null'}`;
        return `${out}]`;
      }
      const o = v as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const k of Object.keys(o).sort()) {
        const s = storedCanonicalJson(o[k], k);
        if (s === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(k)}:${s}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}

/**
 * A snapshot as stored: its canonical JSON text (the jsonb value sent, and what its hash covers),
 * or null for none. Performance: one serialisation per snapshot serves both; the entry used to be
 * copied through JSON (`asStored`), serialised canonically for the hash, then serialised again
 * inside the insert's JSON.
 */
function snapshotText(snapshot: unknown): string | null {
  if (snapshot === undefined || snapshot === null) return null;
  const text = storedCanonicalJson(snapshot);
  // As `asStored` did: JSON.parse(undefined) throws; a value stored as JSON null is no snapshot.
  if (text === undefined) throw new SyntaxError('appendAudits: a snapshot has no JSON form');
  return text === 'null' ? null : text;
}

/**
 * The shared `snapshotHash` / `chainHash`, computed with Node's synchronous SHA-256 (the same
 * bytes: SHA-256 of the UTF-8 canonical JSON, lowercase hex). WebCrypto's promise per digest cost
 * a thread-pool round trip per hash, three per entry, on the push path.
 */
const sha256HexSync = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const chainHashSync = (prevHash: string, entry: ChainEntry): string =>
  sha256HexSync(prevHash + canonicalJson(chainEntryOf(entry)));

/** A tenant's chain head: the last entry's sequence number and hash. */
export type ChainHead = { seq: number; hash: string };

/**
 * An audit row as inserted, without its snapshots: the confirmation as a JSON value (jsonb). The
 * snapshots' canonical texts are spliced into each row's JSON (`rowJson`).
 */
type AuditRow = Omit<Selectable<AuditLogTable>, 'at' | 'device_time' | 'before' | 'after'> & {
  at: string;
  device_time: string | null;
};

/** One row's JSON for `json_populate_recordset`: `row` plus the snapshots as JSON values. */
const rowJson = (row: AuditRow, before: string | null, after: string | null): string =>
  `${JSON.stringify(row).slice(0, -1)},"before":${before ?? 'null'},"after":${after ?? 'null'}}`;
const AUDIT_COLUMNS = [
  'tenant_id',
  'seq',
  'id',
  'at',
  'actor_id',
  'device_id',
  'device_time',
  'action',
  'entity',
  'entity_id',
  'before',
  'after',
  'before_hash',
  'after_hash',
  'reason',
  'confirmation',
  'compensates',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditRow | 'before' | 'after')[];

/**
 * Locks the tenant's counter row (creating it) and returns the chain head. Performance: the row
 * exists after the tenant's first write, so one statement locks and reads it; the insert runs only
 * when it is missing.
 */
async function lockHead(tx: Kysely<DB>, tenantId: string): Promise<ChainHead> {
  const lock = () =>
    tx
      .selectFrom('tenant_seq')
      .select(['audit_seq', 'audit_head'])
      .where('tenant_id', '=', tenantId)
      .forUpdate();
  let row = await lock().executeTakeFirst();
  if (!row) {
    await tx
      .insertInto('tenant_seq')
      .values({ tenant_id: tenantId, last_seq: 0 })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    row = await lock().executeTakeFirstOrThrow();
  }
  return { seq: Number(row.audit_seq), hash: row.audit_head };
}

/** What a caller that already holds the tenant's counter row may hand to `appendAudits`. */
export type AppendOptions = {
  /**
   * The chain head as the caller read it with the counter row locked FOR UPDATE in this
   * transaction (push reads it with its own lock): saves the lock-and-read statement. The final
   * statement only moves the head from exactly this value, else the append throws (nothing stored).
   */
  head?: ChainHead;
  /** Also sets the tenant's change counter (`last_seq`), in the same statement as the head. */
  lastSeq?: number;
  /** Also notifies `channel` with `payload` (delivered on commit), in the same statement. */
  notify?: { channel: string; payload: string };
  /**
   * More writes of the same transaction in the same statement: `ctes` are common table
   * expressions appended after the entries' (each starting with a comma), `value` an expression
   * over them whose result is handed to `result` (push's activity and alerts,
   * `foldedActivitySql`).
   */
  riders?: { ctes: RawBuilder<unknown>; value: RawBuilder<unknown>; result: (value: unknown) => void };
};

/**
 * Appends entries (all of one tenant) to the tenant's hash chain: the one way to write the audit
 * log. Takes the tenant's counter row FOR UPDATE (held to commit), so sequence numbers are
 * gap-free and every entry links to the one before. Must run inside a scope whose
 * `app.tenant_ids` include the tenant (RLS WITH CHECK refuses anything else); the app role can
 * only INSERT and SELECT audit rows. Returns the stored ids, in order.
 */
export async function appendAudits(
  tx: Kysely<DB>,
  entries: readonly NewAuditEntry[],
  opts: AppendOptions = {},
): Promise<string[]> {
  if (entries.length === 0) return [];
  const tenantId = entries[0]?.tenantId ?? '';
  if (entries.some((e) => e.tenantId !== tenantId)) throw new Error('appendAudits: one tenant per call');
  const head = opts.head ?? (await lockHead(tx, tenantId));
  let prev = head.hash;
  let seq = head.seq;
  const rows: string[] = [];
  const ids: string[] = [];
  for (const e of entries) {
    seq += 1;
    // The column is uuid and reads back in lower case: hash what will be read.
    const id = (e.id ?? randomUUID()).toLowerCase();
    const before = snapshotText(e.before);
    const after = snapshotText(e.after);
    const confirmation = (asStored(e.confirmation) as Confirmation | null) ?? null;
    const deviceTime = e.deviceTime === undefined || e.deviceTime === null ? null : toIso(e.deviceTime);
    const entry: ChainEntry = {
      tenantId,
      seq,
      id,
      at: e.at.toISOString(),
      actorId: e.actorId,
      deviceId: e.deviceId ?? null,
      deviceTime,
      action: e.action,
      entity: e.entity,
      entityId: e.entityId,
      beforeHash: before === null ? null : sha256HexSync(before),
      afterHash: after === null ? null : sha256HexSync(after),
      reason: e.reason ?? null,
      confirmation,
    };
    if (e.compensates) entry.compensates = e.compensates;
    const hash = chainHashSync(prev, entry);
    const row: AuditRow = {
      tenant_id: tenantId,
      seq,
      id,
      at: entry.at,
      actor_id: entry.actorId,
      device_id: entry.deviceId,
      device_time: deviceTime,
      action: entry.action,
      entity: entry.entity,
      entity_id: entry.entityId,
      before_hash: entry.beforeHash,
      after_hash: entry.afterHash,
      reason: entry.reason,
      confirmation,
      compensates: e.compensates ?? null,
      prev_hash: prev,
      hash,
    };
    rows.push(rowJson(row, before, after));
    ids.push(id);
    prev = hash;
  }
  // Performance: the entries are inserted and the head moved in one statement (a data-modifying
  // CTE: both or neither), the rows as one JSON parameter.
  const { lastSeq, notify, riders } = opts;
  const { rows: moved } = await sql<{ notified: unknown; rider: unknown }>`WITH inserted_audit AS (
      ${insertJsonText('audit_log', AUDIT_COLUMNS, `[${rows.join(',')}]`)}
    )${riders?.ctes ?? sql``} UPDATE tenant_seq SET audit_seq = ${seq}, audit_head = ${prev}${
      lastSeq === undefined ? sql`` : sql`, last_seq = ${lastSeq}`
    } WHERE tenant_id = ${tenantId} AND audit_seq = ${head.seq} RETURNING ${
      notify === undefined ? sql`null` : sql`pg_notify(${notify.channel}, ${notify.payload})`
    } AS notified, ${riders?.value ?? sql`null`} AS rider`.execute(tx);
  // The head moved under a caller-supplied value: refuse rather than fork the chain.
  if (moved.length !== 1) throw new Error(`appendAudits: the chain head of tenant ${tenantId} moved`);
  riders?.result(moved[0]?.rider);
  return ids;
}

/** Appends one entry (see appendAudits). */
export async function appendAudit(tx: Kysely<DB>, e: NewAuditEntry): Promise<string> {
  const [id] = await appendAudits(tx, [e]);
  return id ?? '';
}

const asObject = (v: unknown): Record<string, unknown> | null => {
  if (v === null || v === undefined) return null;
  const o: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
};

/** A snapshot as `role` may see it: documents of policy entities go through the shared projection. */
export function projectSnapshot(
  role: Role,
  entity: string,
  snapshot: Record<string, unknown> | null,
  policy: TenantPolicy,
): Record<string, unknown> | null {
  if (snapshot === null) return null;
  const e = Entity.safeParse(entity);
  return e.success ? project(role, e.data, snapshot, policy.overrides) : snapshot;
}

/** A stored row as the chain committed to it (no snapshots). */
export function auditRowToChained(r: Selectable<AuditLogTable>): ChainedEntry {
  const e: ChainedEntry = {
    tenantId: r.tenant_id,
    seq: Number(r.seq),
    id: r.id,
    at: toIso(r.at),
    actorId: r.actor_id,
    deviceId: r.device_id,
    deviceTime: r.device_time === null ? null : toIso(r.device_time),
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    beforeHash: r.before_hash,
    afterHash: r.after_hash,
    reason: r.reason,
    confirmation: (asObject(r.confirmation) as Confirmation | null) ?? null,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
  if (r.compensates !== null) e.compensates = r.compensates;
  return e;
}

/** Snapshots of a stored row, as they were hashed. */
export const rowSnapshots = (r: Selectable<AuditLogTable>): { before: unknown; after: unknown } => ({
  before:
    r.before === null || r.before === undefined
      ? null
      : typeof r.before === 'string'
        ? JSON.parse(r.before)
        : r.before,
  after:
    r.after === null || r.after === undefined
      ? null
      : typeof r.after === 'string'
        ? JSON.parse(r.after)
        : r.after,
});

export function auditRowToEntry(r: Selectable<AuditLogTable>): AuditEntry {
  const c = auditRowToChained(r);
  return {
    id: c.id,
    seq: c.seq,
    tenantId: c.tenantId,
    at: c.at,
    actorId: c.actorId,
    deviceId: c.deviceId,
    deviceTime: c.deviceTime,
    action: c.action,
    entity: c.entity,
    entityId: c.entityId,
    before: asObject(r.before),
    after: asObject(r.after),
    reason: c.reason,
    confirmation: c.confirmation,
    compensates: r.compensates,
    beforeHash: c.beforeHash,
    afterHash: c.afterHash,
    prevHash: c.prevHash,
    hash: c.hash,
  };
}

export type AuditReader = {
  tenantId: string;
  userId: string;
  role: Role;
  policy: TenantPolicy;
  ownOnly: boolean;
};

/**
 * Entries of a tenant, newest first, filtered and projected for the reader. `ownOnly` limits them
 * to the reader's own entries (operators).
 */
export async function readAudit(tx: Kysely<DB>, reader: AuditReader, q: AuditQuery): Promise<AuditPage> {
  let query = tx
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', reader.tenantId)
    .orderBy('seq', 'desc')
    .limit(q.limit + 1);
  if (q.before !== undefined) query = query.where('seq', '<', q.before);
  if (reader.ownOnly) query = query.where('actor_id', '=', reader.userId);
  if (q.actor !== undefined) query = query.where('actor_id', '=', q.actor);
  if (q.entity !== undefined) query = query.where('entity', '=', q.entity);
  if (q.action !== undefined) query = query.where('action', '=', q.action);
  if (q.entityId !== undefined) query = query.where('entity_id', '=', q.entityId);
  if (q.from !== undefined) query = query.where('at', '>=', new Date(q.from));
  if (q.to !== undefined) query = query.where('at', '<=', new Date(q.to));
  const rows = await query.execute();
  const page = rows.slice(0, q.limit).map(auditRowToEntry);
  const entries = page.map((e) => ({
    ...e,
    before: projectSnapshot(reader.role, e.entity, e.before, reader.policy),
    after: projectSnapshot(reader.role, e.entity, e.after, reader.policy),
  }));
  const last = page[page.length - 1];
  return { entries, nextBefore: rows.length > q.limit && last ? last.seq : null };
}

/** The head the tenant's counter records (seq 0 and the genesis hash before the first entry). */
export async function auditHead(tx: Kysely<DB>, tenantId: string): Promise<{ seq: number; hash: string }> {
  const row = await tx
    .selectFrom('tenant_seq')
    .select(['audit_seq', 'audit_head'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? { seq: Number(row.audit_seq), hash: row.audit_head } : { seq: 0, hash: GENESIS_HASH };
}

/** One page of the chain after `afterSeq`, without snapshots. */
export async function readChain(
  tx: Kysely<DB>,
  tenantId: string,
  afterSeq: number,
  limit: number,
): Promise<{ entries: ChainedEntry[]; head: { seq: number; hash: string }; nextAfterSeq: number | null }> {
  const rows = await tx
    .selectFrom('audit_log')
    .select([
      'tenant_id',
      'seq',
      'id',
      'at',
      'actor_id',
      'device_id',
      'device_time',
      'action',
      'entity',
      'entity_id',
      'before_hash',
      'after_hash',
      'reason',
      'confirmation',
      'compensates',
      'prev_hash',
      'hash',
    ])
    .where('tenant_id', '=', tenantId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const entries = rows.slice(0, limit).map((r) => auditRowToChained({ ...r, before: null, after: null }));
  const last = entries[entries.length - 1];
  return {
    entries,
    head: await auditHead(tx, tenantId),
    nextAfterSeq: rows.length > limit && last ? last.seq : null,
  };
}

/**
 * Verifies a tenant's whole chain, page by page, over FULL rows: links, hashes, gap-free
 * sequence, snapshots against their hashes, and the last entry against the recorded head (an
 * entry cut off the end is noticed too). Works with any handle that can read the rows (the app
 * role in a tenant scope, or the owner for the command-line verifier).
 */
export async function verifyTenantChain(
  tx: Kysely<DB>,
  tenantId: string,
  pageSize = 2000,
): Promise<ChainVerdict> {
  let from: { prevHash: string; seq: number } | undefined;
  let length = 0;
  for (;;) {
    const rows = await tx
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('seq', '>', from?.seq ?? 0)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const chained = rows.map(auditRowToChained);
    const v = await verifyChain(
      chained,
      (e) => {
        const r = byId.get(e.id);
        return r ? rowSnapshots(r) : { before: undefined, after: undefined };
      },
      from,
    );
    if (!v.ok) return { ...v, length: length + v.length };
    length += chained.length;
    const last = chained[chained.length - 1];
    if (last) from = { prevHash: last.hash, seq: last.seq };
    if (rows.length < pageSize) break;
  }
  const head = await auditHead(tx, tenantId);
  const lastSeq = from?.seq ?? 0;
  const lastHash = from?.prevHash ?? GENESIS_HASH;
  if (lastSeq !== head.seq || lastHash !== head.hash) {
    return {
      ok: false,
      length,
      head: lastHash,
      brokenAt: Math.min(lastSeq, head.seq) + 1,
      reason: `the chain ends at seq ${lastSeq} but the tenant's head records seq ${head.seq}`,
    };
  }
  return { ok: true, length, head: lastHash };
}
