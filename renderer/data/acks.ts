import { useEffect, useState } from 'react';
import { create } from 'zustand';
import type { TenantDatabase } from './database.js';
import { trackPendingEdits } from './pending.js';

/**
 * Sequence numbers the server gave to movements this PC pushed, until the movements are pulled
 * back with them. Without it, a balance pulled before its movement would count that movement
 * twice (once in the balance, once as "unsynced").
 */
export const useAcks = create<{ seqs: ReadonlyMap<string, number> }>()(() => ({ seqs: new Map() }));

/** Record accepted movements. */
export function acknowledge(accepted: readonly { id: string; seq: number }[]): void {
  if (accepted.length === 0) return;
  const next = new Map(useAcks.getState().seqs);
  for (const a of accepted) next.set(a.id, a.seq);
  useAcks.setState({ seqs: next });
}

/**
 * The sequence the stock rules read for a movement that every balance of the partition reflects
 * for certain: below any balance's, so it never counts on top of one (nor of a missing one).
 */
export const SETTLED = -1;

/**
 * A movement's sequence as far as this PC knows: its own, or the one the server acknowledged;
 * `SETTLED` when it is at or below the partition's balance base (`balanceBase` in `balance-base.ts`).
 */
export function effectiveSeq(
  m: { id: string; seq: number },
  acks: ReadonlyMap<string, number>,
  base = 0,
): number {
  const seq = m.seq !== 0 ? m.seq : (acks.get(m.id) ?? 0);
  return seq !== 0 && seq <= base ? SETTLED : seq;
}

/**
 * Local movements still waiting for the server: stored without a sequence (seq 0) and not
 * acknowledged by a push. A movement the server accepted is no longer pending, even before it is
 * pulled back with its sequence.
 */
export function pendingCount(unsequencedIds: readonly string[], acks: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const id of unsequencedIds) if (!acks.has(id)) n += 1;
  return n;
}

/**
 * Live count of the open partition's changes not taken by the server (0 when none is open):
 * movements by `pendingCount`, plus edited items, orders and notices, deletes included.
 */
export function usePendingChanges(db: TenantDatabase | null): number {
  const [ids, setIds] = useState<readonly string[]>([]);
  const [edits, setEdits] = useState(0);
  const acks = useAcks((s) => s.seqs);
  useEffect(() => {
    setIds([]);
    setEdits(0);
    if (!db) return;
    const sub = db.movements
      .find({ selector: { seq: 0 } })
      .$.subscribe((docs) => setIds(docs.map((d) => d.id)));
    const stop = trackPendingEdits(db, setEdits);
    return () => {
      sub.unsubscribe();
      stop();
    };
  }, [db]);
  return pendingCount(ids, acks) + edits;
}
