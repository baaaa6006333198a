import { describe, expect, it } from 'vitest';
import { runAll, runSliced, type Pass } from '../../../renderer/data/slices.js';

/** Sums 0..n-1, pausing after every number; records how far it got. */
function* sum(n: number, seen: number[]): Pass<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += i;
    seen.push(i);
    yield;
  }
  return total;
}

describe('passes cut into slices (data/slices.ts)', () => {
  it('runAll runs a pass to its end in one go', () => {
    const seen: number[] = [];
    expect(runAll(sum(100, seen))).toBe(4950);
    expect(seen).toHaveLength(100);
  });

  it('runSliced ends a slice once the budget is spent and gives the same result', async () => {
    // Each step of the pass takes 1 ms on this clock.
    let clock = 0;
    function* timed(): Pass<number> {
      const inner = sum(100, seen);
      for (;;) {
        const step = inner.next();
        clock += 1;
        if (step.done) return step.value;
        yield;
      }
    }
    const seen: number[] = [];
    const pausedAt: number[] = [];
    const result = await runSliced(timed(), {
      budgetMs: 5,
      now: () => clock,
      pause: () => {
        pausedAt.push(seen.length);
        return Promise.resolve();
      },
    });
    expect(result).toBe(4950);
    // A pause after every 5 ms of steps: 100 steps, a pause after steps 5, 10, …, 100.
    expect(pausedAt).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 5));
  });

  it('a cancelled pass stops at the next pause and resolves null', async () => {
    let clock = 0;
    const seen: number[] = [];
    let cancel = false;
    const r = await runSliced(sum(1_000, seen), {
      budgetMs: 1,
      now: () => clock++,
      pause: () => {
        cancel = seen.length >= 10;
        return Promise.resolve();
      },
      cancelled: () => cancel,
    });
    expect(r).toBeNull();
    expect(seen.length).toBeLessThan(20);
  });

  it('takes a new task between slices by default, not a microtask', async () => {
    let clock = 0;
    const seen: number[] = [];
    const run = runSliced(sum(1_000, seen), { budgetMs: 1, now: () => clock++ });
    // The first slice ended at the first pause; microtasks alone never resume it.
    const atPause = seen.length;
    expect(atPause).toBeLessThan(1_000);
    for (let i = 0; i < 100; i++) await Promise.resolve();
    expect(seen.length).toBe(atPause);
    expect(await run).toBe(499_500);
  });
});
