import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import type { RxCollection, RxReplicationPullStreamItem, WithDeleted } from 'rxdb';
import { Subject } from 'rxjs';
import type { Checkpoint, SyncCollection } from '../../shared/sync/protocol.js';
import { PUSHABLE } from '../../shared/sync/protocol.js';
import { ApiError, NetworkError, type ApiClient } from './api.js';
import type { TenantDatabase } from './database.js';
import { acknowledge } from './acks.js';
import { restartBase, setBalanceBase } from './balance-base.js';
import { conflictContext } from './conflicts.js';
import { PushWatch } from './push-watch.js';
import { realignRecords, restoreMasters, settleAccepted } from './master-record.js';
import { chunked, RECONCILED, type Repair, StaleHandover, staleCandidates } from './reconcile.js';
import { splitPush } from './writes.js';
import { isTraced, syncTrace, traceStep, versionLine } from './sync-trace.js';

/** Where replication reports what the status control shows. */
export type SyncStatusSink = {
  setOnline(online: boolean): void;
  setActive(active: boolean): void;
  markSynced(at: string): void;
  setError(error: string | null): void;
  setProgress(p: { done: number; total: number } | null): void;
};

export type TenantSyncOptions = {
  db: TenantDatabase;
  api: ApiClient;
  serverUrl: string;
  userId: string;
  tenantId: string;
  policyVersion: number;
  status: SyncStatusSink;
  /** The server refused this tenant (403) or revoked the membership: access is gone. */
  onForbidden(): void;
  /** The server no longer accepts the session (401 after a failed refresh). */
  onUnauthenticated(): void;
  /** The stream (re)connected: a good moment to ask the server what changed while away. */
  onConnected?(): void;
  /** The user's role or the tenant's field policy changed: the partition must be rebuilt. */
  onPolicyChanged(policyVersion: number): void;
  /**
   * Changes the server rejected: the code and reason, what this PC sent and what the server holds
   * (null when the document does not exist there). Called before RxDB resolves the conflicts.
   */
  onRejected?(
    collection: SyncCollection,
    rejected: {
      id: string;
      code: string;
      reason: string;
      local: Record<string, unknown>;
      server: Record<string, unknown> | null;
    }[],
  ): void;
  /**
   * Local copies of orders or notices found older than the server's while the pull checkpoint was
   * already past the server's version (issue #7), and handed to RxDB again. Reported so the cause
   * of each divergence can still be looked for.
   */
  onRepaired?(collection: SyncCollection, repaired: Repair[]): void;
  /**
   * Documents whose accepted push RxDB failed to record as their master (its write lost a race with
   * a pull's), recorded again (master-record.ts). Reported so the count can be watched.
   */
  onMastersRestored?(collection: SyncCollection, restored: { id: string; seq: number }[]): void;
  /** Each collection's RxDB replication as it starts (for tests that must reach RxDB's own records). */
  observeReplication?(
    collection: SyncCollection,
    state: RxReplicationState<Record<string, unknown>, Checkpoint>,
  ): void;
};

/** A running replication of one tenant partition. */
export type TenantSync = {
  stop(): Promise<void>;
  reSync(): void;
  /** Resolves once every collection finished its first download. */
  initialSync: Promise<void>;
  /**
   * Issue #7 diagnostics: RxDB's view of one document — the stored copy (with revision and
   * replication meta), the master it assumes, and both checkpoints — each in one line.
   */
  inspect(collection: SyncCollection, id: string): Promise<string>;
  /** Resolves when every local change was pushed (or after `timeoutMs`, with false). */
  flush(timeoutMs: number): Promise<boolean>;
};

const COLLECTIONS: readonly SyncCollection[] = [
  'items',
  'balances',
  'movements',
  'receipts',
  'orders',
  'locations',
];

/**
 * Movements go to the server only after the items they name: the server refuses a movement of an
 * item it does not have, and items created on this PC (offline, say) replicate separately. While
 * such an item is still unsent, the movement push fails and RxDB retries it shortly.
 */
async function itemsFirst(
  db: TenantDatabase,
  rows: readonly { newDocumentState: Record<string, unknown> }[],
): Promise<void> {
  const ids = [...new Set(rows.map((r) => String(r.newDocumentState['itemId'])))];
  const items = await db.items.findByIds(ids).exec();
  if ([...items.values()].some((i) => i.seq === 0))
    throw new Error('items of these movements are not on the server yet; retrying');
}

/**
 * The stored state of every movement the server accepted in (or already held before) a push: the
 * sent document with the sequence it got. Handed to RxDB as the master, because a pull that
 * brought the movement while its push was still unanswered (an earlier attempt was applied, its
 * answer lost) was skipped by RxDB, and a repeat is answered without a conflict: the local copy
 * would otherwise keep seq 0 for ever and be counted on top of its balance.
 */
function settledMovements(
  rows: readonly { newDocumentState: Record<string, unknown> }[],
  res: { conflicts: Record<string, unknown>[]; accepted?: { id: string; seq: number }[] },
): Record<string, unknown>[] {
  const answered = new Set(res.conflicts.map((c) => String(c['id'])));
  const sent = new Map(rows.map((r) => [String(r.newDocumentState['id']), r.newDocumentState]));
  const out = new Map<string, Record<string, unknown>>();
  for (const a of res.accepted ?? []) {
    const doc = sent.get(a.id);
    if (!doc || answered.has(a.id) || doc['seq'] !== 0) continue;
    const { pendingAudit: _p, ...stored } = doc;
    out.set(a.id, { ...stored, seq: a.seq, _deleted: false });
  }
  return [...out.values()];
}
const BATCH = 1000;

/**
 * Replicate items, balances and movements of one tenant with the server: pull by the tenant's
 * sequence checkpoint, push local changes, and resync whenever the server's stream says something
 * changed. The replication identifier includes server, user, tenant and policy version, so a role
 * or field-policy change starts a clean pull.
 */
export function startTenantSync(o: TenantSyncOptions): TenantSync {
  const streams = new Map<
    SyncCollection,
    Subject<RxReplicationPullStreamItem<Record<string, unknown>, Checkpoint>>
  >();
  const states: RxReplicationState<Record<string, unknown>, Checkpoint>[] = [];
  const progress = new Map<SyncCollection, { done: number; total: number }>();
  const abort = new AbortController();
  let stopped = false;
  let forbidden = false;

  const fail = (e: unknown): never => {
    if (e instanceof NetworkError) o.status.setOnline(false);
    else if (e instanceof ApiError && e.status === 403) {
      if (!forbidden) {
        forbidden = true;
        o.onForbidden();
      }
    } else if (e instanceof ApiError && e.status === 401) o.onUnauthenticated();
    else o.status.setError(e instanceof Error ? e.message : String(e));
    throw e;
  };

  const reportProgress = () => {
    let done = 0;
    let total = 0;
    for (const p of progress.values()) {
      done += Math.min(p.done, p.total);
      total += p.total;
    }
    o.status.setProgress(total > 0 && done < total ? { done, total } : null);
  };

  /** Per collection checked at every (re)connect: the server's newer versions for the next pull. */
  const handovers = new Map<SyncCollection, StaleHandover>();

  for (const name of COLLECTIONS) {
    const traced = syncTrace() !== null && isTraced(name);
    const stream$ = new Subject<RxReplicationPullStreamItem<Record<string, unknown>, Checkpoint>>();
    streams.set(name, stream$);
    const collection = o.db.collections[name];
    // Mutable documents only: a movement never changes once pushed (settledMovements covers it).
    const watch = PUSHABLE.includes(name) && name !== 'movements' ? new PushWatch() : null;
    const handover = (RECONCILED as readonly SyncCollection[]).includes(name) ? new StaleHandover() : null;
    if (handover) handovers.set(name, handover);
    const state = replicateRxCollection<Record<string, unknown>, Checkpoint>({
      // Cast: the three collections differ in document type; replication treats them alike.
      collection: collection as never,
      replicationIdentifier: `${o.serverUrl}|${o.userId}|${o.tenantId}|v${o.policyVersion}|${name}`,
      live: true,
      retryTime: 2000,
      waitForLeadership: false,
      autoStart: true,
      pull: {
        batchSize: BATCH,
        stream$: stream$.asObservable(),
        handler: async (checkpoint, batchSize) => {
          // Balances pulled from no checkpoint keep the partition's base if it holds balances.
          const base =
            name === 'balances' && checkpoint === undefined
              ? await restartBase(o.db.name, async () => (await o.db.balances.count().exec()) > 0)
              : checkpoint?.base;
          const res = await o.api.pull(o.tenantId, name, checkpoint?.seq, batchSize, base).catch(fail);
          // Balances: the base below which zero balances were left out (before RxDB stores them).
          if (name === 'balances' && res.checkpoint?.base !== undefined)
            setBalanceBase(o.db.name, res.checkpoint.base);
          if (res.total !== undefined) progress.set(name, { done: 0, total: res.total });
          const p = progress.get(name);
          if (p) {
            p.done += res.documents.length;
            reportProgress();
          }
          o.status.markSynced(new Date().toISOString());
          let pulled = res.documents;
          let repaired: Repair[] = [];
          if (handover && handover.ids().length > 0) {
            // What this PC holds now of the versions waiting: a pull or an edit since the check
            // may have made them moot.
            const found = await (collection as unknown as RxCollection<Record<string, unknown>>)
              .findByIds(handover.ids())
              .exec();
            const taken = handover.take(pulled, checkpoint?.seq, (id) => {
              const d = found.get(id)?.toJSON();
              if (!d) return null;
              const p = d['pendingAudit'];
              return {
                seq: typeof d['seq'] === 'number' ? d['seq'] : 0,
                pending: Array.isArray(p) && p.length > 0,
              };
            });
            pulled = taken.documents;
            repaired = taken.repaired;
          }
          const documents = watch ? watch.onPull(pulled) : pulled;
          // Copies without local entries that RxDB would leave as they are (its record of them is
          // another version, and its own pull did not write them last): the record is set to the
          // copy first, so RxDB takes the version (master-record.ts). Movements never change;
          // balances and locations are pulled only, and RxDB keeps no record of them.
          const internal = state.internalReplicationState;
          if (internal && watch && documents.length > 0 && !stopped) {
            const realigned = await realignRecords(
              internal,
              collection.storageInstance as never,
              documents.map((d) => String(d['id'])),
              (a, b) => collection.conflictHandler.isEqual(a as never, b as never, 'realign-record'),
            ).catch(() => []);
            // A version the stale check handed over keeps its repair, marked; others get one.
            const marked = new Set(realigned.map((r) => r.id));
            const handed = new Set(repaired.map((r) => r.id));
            const pulledSeq = new Map(documents.map((d) => [String(d['id']), d['seq']]));
            repaired = [
              ...repaired.map((r) => (marked.has(r.id) ? { ...r, realigned: true as const } : r)),
              ...realigned
                .filter((r) => !handed.has(r.id))
                .map((r) => ({
                  id: r.id,
                  localSeq: r.seq,
                  serverSeq: Number(pulledSeq.get(r.id) ?? 0),
                  pending: false,
                  realigned: true as const,
                })),
            ];
          }
          if (repaired.length > 0) o.onRepaired?.(name, repaired);
          if (traced)
            traceStep(
              name,
              'pull',
              documents,
              `from ${String(checkpoint?.seq)} to ${String(res.checkpoint?.seq)}`,
            );
          return {
            documents: documents as WithDeleted<Record<string, unknown>>[],
            checkpoint: res.checkpoint ?? checkpoint,
          };
        },
      },
      push: PUSHABLE.includes(name)
        ? {
            batchSize: 100,
            handler: async (rows) => {
              // Once RxDB has processed this push's answer (the upstream task that runs this
              // handler resolves then; never awaited here, which would wait for itself): RxDB's
              // record of the versions the server took is checked (master-record.ts), then the
              // versions pulled meanwhile are handed over again (PushWatch).
              const ids = rows.map((r) => String(r.newDocumentState['id']));
              watch?.begin(ids);
              let taken: Record<string, unknown>[] = [];
              let settled: Record<string, unknown>[] = [];
              const settle = async () => {
                const internal = state.internalReplicationState;
                if (!stopped && internal && settled.length > 0) {
                  // Accepted movements whose copy RxDB left at seq 0 (master-record.ts).
                  const done = await settleAccepted(
                    internal,
                    collection.storageInstance as never,
                    settled,
                  ).catch(() => []);
                  if (traced && done.length > 0)
                    traceStep(
                      name,
                      'settled',
                      settled.filter((d) => done.some((r) => r.id === d['id'])),
                      'the copy was still at seq 0 after RxDB processed the answer',
                    );
                  if (done.length > 0)
                    o.onRepaired?.(
                      name,
                      done.map((r) => ({
                        id: r.id,
                        localSeq: 0,
                        serverSeq: r.seq,
                        pending: true,
                        settled: true,
                      })),
                    );
                }
                if (!stopped && internal && taken.length > 0) {
                  const restored = await restoreMasters(
                    internal,
                    collection.storageInstance as never,
                    taken,
                    (a, b) => collection.conflictHandler.isEqual(a as never, b as never, 'restore-master'),
                  ).catch(() => []);
                  if (restored.length > 0) o.onMastersRestored?.(name, restored);
                }
                if (watch && !stopped && watch.settle(ids)) stream$.next('RESYNC');
              };
              void (state.internalReplicationState?.streamQueue.up ?? Promise.resolve()).then(settle, settle);
              if (name === 'movements') await itemsFirst(o.db, rows);
              const { changes, audit } = splitPush(
                rows.map((r) => ({
                  assumedMasterState: (r.assumedMasterState as Record<string, unknown> | undefined) ?? null,
                  newDocumentState: r.newDocumentState,
                })),
              );
              if (traced)
                for (const r of rows) traceStep(name, 'push', [r.assumedMasterState, r.newDocumentState]);
              const res = await o.api.push(o.tenantId, name, changes, audit).catch((e: unknown) => {
                if (traced)
                  traceStep(
                    name,
                    'push-failed',
                    rows.map((r) => r.newDocumentState),
                    String(e),
                  );
                return fail(e);
              });
              if (traced)
                traceStep(
                  name,
                  'push-answer',
                  [...res.conflicts, ...rows.map((r) => r.newDocumentState)],
                  `conflicts ${res.conflicts.length} accepted ${JSON.stringify(res.accepted ?? [])} rejected ${JSON.stringify(res.rejections.map((r) => r.id))}`,
                );
              if (name === 'movements' && res.accepted) acknowledge(res.accepted);
              watch?.answer(res.conflicts, res.accepted ?? []);
              if (res.rejections.length > 0) {
                const ctx = conflictContext(o.db.name);
                const sent = new Map(rows.map((r) => [String(r.newDocumentState['id']), r.newDocumentState]));
                const masters = new Map(res.conflicts.map((c) => [String(c['id']), c]));
                for (const r of res.rejections) ctx.rejected.add(`${name}|${r.id}`);
                o.onRejected?.(
                  name,
                  res.rejections.map((r) => {
                    const server = masters.get(r.id) ?? null;
                    return {
                      ...r,
                      local: sent.get(r.id) ?? { id: r.id },
                      server:
                        server && server['_deleted'] === true && !('seq' in server && server['seq'])
                          ? null
                          : server,
                    };
                  }),
                );
              }
              o.status.markSynced(new Date().toISOString());
              settled = settledMovements(rows, res);
              const answered = [...res.conflicts, ...settled];
              const conflicted = new Set(answered.map((c) => String(c['id'])));
              taken = rows.map((r) => r.newDocumentState).filter((d) => !conflicted.has(String(d['id'])));
              return answered as WithDeleted<Record<string, unknown>>[];
            },
          }
        : undefined,
    });
    state.active$.subscribe((active) => o.status.setActive(active));
    if (traced) traceReplication(name, collection as never, state);
    o.observeReplication?.(name, state);
    states.push(state);
  }

  const reSync = () => {
    for (const s of states) s.reSync();
  };

  /**
   * Issue #7, at every (re)connect once the first download is done: ask the server which open
   * orders and notices it holds newer than this PC (those without a local change), and hand its
   * versions to the next pull. One check per collection at a time (a connect meanwhile runs it
   * again after); any error is left for the next connect.
   */
  const checking = new Set<SyncCollection>();
  const checkAgain = new Set<SyncCollection>();
  const reconcile = async (
    name: SyncCollection,
    state: RxReplicationState<Record<string, unknown>, Checkpoint>,
  ) => {
    const handover = handovers.get(name);
    if (!handover) return;
    if (checking.has(name)) {
      checkAgain.add(name);
      return;
    }
    checking.add(name);
    try {
      do {
        checkAgain.delete(name);
        await state.awaitInitialReplication();
        if (stopped) return;
        const docs = await (o.db.collections[name] as unknown as RxCollection<Record<string, unknown>>)
          .find()
          .exec();
        const versions = staleCandidates(
          name as (typeof RECONCILED)[number],
          docs.map((d) => d.toJSON() as Record<string, unknown>),
        );
        let newer = 0;
        for (const part of chunked(versions)) {
          if (stopped) return;
          const res = await o.api.stale(o.tenantId, name as (typeof RECONCILED)[number], part);
          handover.offer(res.documents);
          newer += res.documents.length;
        }
        if (newer > 0 && !stopped) streams.get(name)?.next('RESYNC');
      } while (checkAgain.has(name) && !stopped);
    } catch {
      // Offline again, the server away, the session ended: the next connect checks again.
    } finally {
      checking.delete(name);
    }
  };

  // The live stream: every `change` (and every reconnect) makes the affected collections pull.
  let unauthenticated = false;
  const streamLoop = async () => {
    while (!stopped && !forbidden) {
      try {
        await o.api.stream(o.tenantId, abort.signal, (e) => {
          if (e.type === 'hello') {
            unauthenticated = false;
            for (const s of streams.values()) s.next('RESYNC');
            COLLECTIONS.forEach((name, i) => {
              const state = states[i];
              if (state) void reconcile(name, state);
            });
            o.onConnected?.();
          } else if (e.type === 'change') for (const c of e.collections) streams.get(c)?.next('RESYNC');
          else if (e.type === 'membership-revoked' && !forbidden) {
            forbidden = true;
            o.onForbidden();
          } else if (e.type === 'policy-changed' && e.policyVersion !== o.policyVersion)
            o.onPolicyChanged(e.policyVersion);
          else if (e.type === 'session-ended') o.onUnauthenticated();
        });
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status === 403) {
          if (!forbidden) {
            forbidden = true;
            o.onForbidden();
          }
          return;
        }
        if (e instanceof ApiError && e.status === 401) {
          // Keep trying after the back-off: once the user signs in again (after an offline
          // sign-in, say) the stream must resume, or this PC would never hear of changes again.
          if (!unauthenticated) o.onUnauthenticated();
          unauthenticated = true;
        }
        if (e instanceof NetworkError) o.status.setOnline(false);
      }
      if (stopped) return;
      // Reconnect when the OS says we are back online, or after a short back-off.
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 3000);
        function done() {
          clearTimeout(t);
          window.removeEventListener('online', done);
          resolve();
        }
        window.addEventListener('online', done);
      });
    }
  };
  void streamLoop();

  const onOnline = () => {
    o.status.setOnline(true);
    reSync();
  };
  const onOffline = () => o.status.setOnline(false);
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);

  const initialSync = Promise.all(states.map((s) => s.awaitInitialReplication())).then(() => {
    progress.clear();
    o.status.setProgress(null);
  });

  const inspect = async (name: SyncCollection, id: string): Promise<string> => {
    const internal = states[COLLECTIONS.indexOf(name)]?.internalReplicationState;
    if (!internal) return 'replication not started';
    const [fork] = await o.db.collections[name].storageInstance.findDocumentsById([id], true);
    const meta = await internal.input.metaInstance.findDocumentsById([`${id}|0`, 'up|1', 'down|1'], true);
    const byId = new Map(meta.map((m) => [m.id, m]));
    const assumed = byId.get(`${id}|0`);
    return [
      `fork ${versionLine(fork)}`,
      `assumed ${versionLine(assumed?.docData as Record<string, unknown> | undefined)}`,
      `resolved-conflict ${String(assumed?.isResolvedConflict ?? '-')}`,
      `up ${JSON.stringify(byId.get('up|1')?.checkpointData ?? null)}`,
      `down ${JSON.stringify(byId.get('down|1')?.checkpointData ?? null)}`,
    ].join('; ');
  };

  return {
    reSync,
    inspect,
    initialSync,
    flush: (timeoutMs) =>
      Promise.race([
        Promise.all(states.map((s) => s.awaitInSync())).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs)),
      ]),
    stop: async () => {
      stopped = true;
      abort.abort();
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      for (const s of streams.values()) s.complete();
      await Promise.all(states.map((s) => s.cancel()));
    },
  };
}

/** Issue #7 diagnostics (sync-trace.ts): local writes with their context, RxDB's conflict steps. */
function traceReplication(
  name: SyncCollection,
  collection: RxCollection<Record<string, unknown>>,
  state: RxReplicationState<Record<string, unknown>, Checkpoint>,
): void {
  collection.storageInstance.changeStream().subscribe((bulk) => {
    for (const e of bulk.events) traceStep(name, `write ${String(bulk.context)}`, [e.documentData]);
  });
  void state.startPromise.then(() => {
    const ev = state.internalReplicationState?.events;
    if (!ev) return;
    ev.resolvedConflicts.subscribe(({ input, output }) =>
      traceStep(name, 'resolved', [
        input.assumedMasterState,
        input.newDocumentState,
        input.realMasterState,
        output,
      ]),
    );
    ev.processed.up.subscribe((r) => traceStep(name, 'pushed', [r.newDocumentState]));
    ev.processed.down.subscribe((r) => traceStep(name, 'pulled-into-fork', [r.document]));
  });
}
