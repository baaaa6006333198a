import { describe, expect, it } from 'vitest';
import { acknowledge, effectiveSeq, pendingCount, useAcks } from '../../../renderer/data/acks.js';

describe('pending changes', () => {
  it('a pushed movement stops counting once the server accepted it, before it is pulled back', () => {
    const unsequenced = ['m1', 'm2', 'm3'];
    expect(pendingCount(unsequenced, useAcks.getState().seqs)).toBe(3);
    acknowledge([{ id: 'm2', seq: 41 }]);
    const acks = useAcks.getState().seqs;
    expect(pendingCount(unsequenced, acks)).toBe(2);
    expect(effectiveSeq({ id: 'm2', seq: 0 }, acks)).toBe(41);
    // Pulled back with its sequence, it is no longer stored with seq 0 at all.
    expect(pendingCount(['m1', 'm3'], acks)).toBe(2);
    expect(pendingCount([], acks)).toBe(0);
  });
});
