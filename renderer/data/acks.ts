import { create } from 'zustand';

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

/** A movement's sequence as far as this PC knows: its own, or the one the server acknowledged. */
export function effectiveSeq(m: { id: string; seq: number }, acks: ReadonlyMap<string, number>): number {
  return m.seq !== 0 ? m.seq : (acks.get(m.id) ?? 0);
}
