import { isUnreflected } from '../../shared/domain/stock.js';
import {
  MOVEMENT_HORIZON_DAYS,
  OPEN_ORDER_STATUSES,
  OPEN_RECEIPT_STATUSES,
} from '../../shared/sync/protocol.js';
import { effectiveSeq, useAcks } from './acks.js';
import { balanceBase } from './balance-base.js';
import type { TenantDatabase } from './database.js';
import { forgetRaw, readAllRaw } from './storage/raw-read.js';

/**
 * Issue #5: a PC in use for months must not keep every movement it ever pulled or made. Stock is
 * the server's balances plus this PC's unreflected movements and history comes from the server's
 * reports, so a movement the server holds, the balances reflect, older than the pull horizon and of
 * no order or notice still being worked on is dropped from the partition — below RxDB
 * (`forgetRaw`), so that neither replication (which would push a deletion) nor the screens see it
 * go. The server never sends it again: the pull checkpoint is past it. A query result computed
 * before (RxDB's query cache, a screen's list) may still show it until it runs again: without an
 * event nothing tells it, and nothing it shows changes stock (the movement was reflected).
 */

/** Age past which a movement may go: the pull horizon plus a day (a client clock may be ±2 h off). */
export const PRUNE_AFTER_MS = (MOVEMENT_HORIZON_DAYS + 1) * 86_400_000;

/** What the retention rule reads besides the movement itself. */
export type RetentionFacts = {
  /** This PC's clock, ms since the epoch. */
  now: number;
  /** The highest sequence of the local balances (as `LiveInventory` counts it). */
  maxBalanceSeq: number;
  /** The partition's balance base (`balance-base.ts`). */
  base: number;
  /** Sequences of movements pushed and not yet pulled back (`acks.ts`). */
  acks: ReadonlyMap<string, number>;
  /** Ids of local orders and inbound notices still being worked on. */
  openRefs: ReadonlySet<string>;
  /** Ids of every local order and notice, whatever its status (deleted ones too). */
  knownRefs: ReadonlySet<string>;
};

/** The fields of a stored movement the rule reads. */
export type StoredMovement = {
  id: string;
  seq: number;
  createdAt: string;
  refId?: string | null;
  pendingAudit?: unknown[];
};

/**
 * True when this PC may drop the movement: ALL of
 * - synced: it has the server's sequence and no audit entry waits for a push;
 * - reflected: the balances held here count it (as `LiveInventory` decides `includesPending`:
 *   never `isUnreflected` with the acknowledged sequence and the balance base);
 * - old: created more than `PRUNE_AFTER_MS` ago (an unreadable time keeps it);
 * - not of an order or notice still open here, nor of one this PC does not hold yet (a movement
 *   can arrive before its order; it is kept until the order is known and closed).
 */
export function isPrunable(m: StoredMovement, f: RetentionFacts): boolean {
  if (!(m.seq > 0)) return false;
  if (Array.isArray(m.pendingAudit) && m.pendingAudit.length > 0) return false;
  if (isUnreflected({ seq: effectiveSeq(m, f.acks, f.base) }, f.maxBalanceSeq)) return false;
  if (!(Date.parse(m.createdAt) < f.now - PRUNE_AFTER_MS)) return false;
  const ref = m.refId ?? null;
  return ref === null || (f.knownRefs.has(ref) && !f.openRefs.has(ref));
}

/** The facts of the open partition `db` for `isPrunable`, at `now`. */
export async function retentionFacts(db: TenantDatabase, now = Date.now()): Promise<RetentionFacts> {
  const [balances, orders, receipts] = await Promise.all([
    readAllRaw(db.balances),
    readAllRaw(db.orders, { withDeleted: true }),
    readAllRaw(db.receipts, { withDeleted: true }),
  ]);
  let maxBalanceSeq = 0;
  for (const b of balances) if (b.seq > maxBalanceSeq) maxBalanceSeq = b.seq;
  const openRefs = new Set<string>();
  const knownRefs = new Set<string>();
  const collect = (
    docs: readonly { id: string; status: string; _deleted: boolean }[],
    open: readonly string[],
  ) => {
    for (const d of docs) {
      knownRefs.add(d.id);
      if (!d._deleted && open.includes(d.status)) openRefs.add(d.id);
    }
  };
  collect(orders, OPEN_ORDER_STATUSES);
  collect(receipts, OPEN_RECEIPT_STATUSES);
  return {
    now,
    maxBalanceSeq,
    base: balanceBase(db.name),
    acks: useAcks.getState().seqs,
    openRefs,
    knownRefs,
  };
}

/**
 * Drop the prunable movements of the open partition (and their replication meta documents), with
 * no change event. Returns their ids; none on RxDB's Dexie storage, which does not prune (it
 * offers no way below RxDB; a Dexie partition keeps its movements as before).
 */
export async function pruneMovements(db: TenantDatabase, now = Date.now()): Promise<string[]> {
  const facts = await retentionFacts(db, now);
  const ids: string[] = [];
  for (const m of await readAllRaw(db.movements)) if (isPrunable(m, facts)) ids.push(m.id);
  if (ids.length === 0) return [];
  return (await forgetRaw(db.movements, ids)) === null ? [] : ids;
}

/**
 * Prune the open partition once its first download is done and then every `everyMs`, each time
 * only while replication has nothing in flight (`flush`): the facts are read when no pull is half
 * applied and no push is waiting for its answer (a movement settled by one is pruned next time).
 * Returns the stop function (call it before the partition closes).
 */
export function startMovementPruning(
  db: TenantDatabase,
  sync: { initialSync: Promise<void>; flush(timeoutMs: number): Promise<boolean> },
  o: {
    everyMs?: number;
    settleMs?: number;
    /** The pruning itself (tests pass a stand-in). */
    prune?: (db: TenantDatabase) => Promise<unknown>;
  } = {},
): () => void {
  const prune = o.prune ?? ((d: TenantDatabase) => pruneMovements(d));
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = async () => {
    timer = null;
    try {
      if (!stopped && (await sync.flush(o.settleMs ?? 60_000)) && !stopped) await prune(db);
    } catch (e) {
      if (!stopped) console.warn('movement pruning failed', e);
    }
    if (!stopped) timer = setTimeout(() => void run(), o.everyMs ?? 6 * 3_600_000);
  };
  sync.initialSync.then(run, () => undefined);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
