import { describe, expect, it, vi } from 'vitest';
import { SETTLED } from '../../../renderer/data/acks.js';
import {
  isPrunable,
  PRUNE_AFTER_MS,
  startMovementPruning,
  type RetentionFacts,
  type StoredMovement,
} from '../../../renderer/data/prune.js';
import {
  MOVEMENT_HORIZON_DAYS,
  OPEN_ORDER_STATUSES,
  OPEN_RECEIPT_STATUSES,
} from '../../../shared/sync/protocol.js';
import { MOVEMENT_HORIZON_DAYS as SERVER_HORIZON } from '../../../server/sync/service.js';
import type { TenantDatabase } from '../../../renderer/data/database.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

const facts = (o: Partial<RetentionFacts> = {}): RetentionFacts => ({
  now: NOW,
  maxBalanceSeq: 1000,
  base: 0,
  acks: new Map(),
  openRefs: new Set(['order-open', 'notice-receiving']),
  knownRefs: new Set(['order-open', 'notice-receiving', 'order-shipped', 'notice-closed']),
  ...o,
});
/** An old, synced, reflected movement of no order: prunable unless a test changes that. */
const old = (o: Partial<StoredMovement> = {}): StoredMovement => ({
  id: 'm1',
  seq: 500,
  createdAt: ago(30 * DAY),
  refId: null,
  ...o,
});

describe('movement retention (issue #5)', () => {
  it('uses the server horizon plus a day, one constant for server and client', () => {
    expect(SERVER_HORIZON).toBe(MOVEMENT_HORIZON_DAYS);
    expect(PRUNE_AFTER_MS).toBe((MOVEMENT_HORIZON_DAYS + 1) * DAY);
    expect(OPEN_ORDER_STATUSES).toEqual(['open', 'picking', 'packed']);
    expect(OPEN_RECEIPT_STATUSES).toEqual(['open', 'receiving']);
  });

  it('drops an old synced movement the balances reflect', () => {
    expect(isPrunable(old(), facts())).toBe(true);
    expect(isPrunable(old({ pendingAudit: [] }), facts())).toBe(true);
  });

  it('keeps a movement not synced: no sequence yet, or audit entries waiting for a push', () => {
    expect(isPrunable(old({ seq: 0 }), facts())).toBe(false);
    expect(isPrunable(old({ pendingAudit: [{ id: 'a1' }] }), facts())).toBe(false);
  });

  it('keeps a movement pushed and acknowledged but still stored without its sequence', () => {
    // The ack would make it reflected (seq 400 ≤ 1000), but the stored copy is not the server's yet.
    const acks = new Map([['m1', 400]]);
    expect(isPrunable(old({ seq: 0 }), facts({ acks }))).toBe(false);
  });

  it('keeps a synced movement the balances do not reflect yet, unless the balance base settles it', () => {
    expect(isPrunable(old({ seq: 1001 }), facts())).toBe(false);
    expect(isPrunable(old({ seq: 5 }), facts({ maxBalanceSeq: 0 }))).toBe(false);
    expect(isPrunable(old({ seq: 1000 }), facts())).toBe(true);
    // At or below the base the app counts it as reflected (SETTLED) even with no balance held.
    expect(isPrunable(old({ seq: 5 }), facts({ maxBalanceSeq: 0, base: 5 }))).toBe(true);
    expect(SETTLED).toBeLessThan(0);
  });

  it('keeps a movement within the horizon plus a day, whatever a clock off by two hours says', () => {
    const edge = (MOVEMENT_HORIZON_DAYS + 1) * DAY;
    expect(isPrunable(old({ createdAt: ago(edge + HOUR) }), facts())).toBe(true);
    expect(isPrunable(old({ createdAt: ago(edge - HOUR) }), facts())).toBe(false);
    expect(isPrunable(old({ createdAt: ago(MOVEMENT_HORIZON_DAYS * DAY) }), facts())).toBe(false);
    // Made on a PC whose clock ran 2 h ahead / behind, 7 days ago by the server's clock: kept.
    for (const skew of [-2 * HOUR, 2 * HOUR])
      expect(isPrunable(old({ createdAt: ago(MOVEMENT_HORIZON_DAYS * DAY + skew) }), facts())).toBe(false);
    // This PC's clock 2 h fast: a movement the server received 7 days ago is still kept.
    expect(
      isPrunable(old({ createdAt: ago(MOVEMENT_HORIZON_DAYS * DAY) }), facts({ now: NOW + 2 * HOUR })),
    ).toBe(false);
    expect(isPrunable(old({ createdAt: 'not a time' }), facts())).toBe(false);
  });

  it('keeps the movements of open orders and notices, drops those of shipped or closed ones', () => {
    expect(isPrunable(old({ refId: 'order-open' }), facts())).toBe(false);
    expect(isPrunable(old({ refId: 'notice-receiving' }), facts())).toBe(false);
    expect(isPrunable(old({ refId: 'order-shipped' }), facts())).toBe(true);
    expect(isPrunable(old({ refId: 'notice-closed' }), facts())).toBe(true);
  });

  it('keeps a movement of an order this PC does not hold yet', () => {
    expect(isPrunable(old({ refId: 'order-not-pulled-yet' }), facts())).toBe(false);
  });
});

describe('movement pruning schedule (issue #5)', () => {
  const db = {} as TenantDatabase;
  /** A replication stand-in: its first download and each flush resolve when the test says so. */
  const fakeSync = () => {
    let done!: () => void;
    const initialSync = new Promise<void>((r) => (done = r));
    const flushes: ((idle: boolean) => void)[] = [];
    return {
      sync: {
        initialSync,
        flush: () => new Promise<boolean>((r) => flushes.push(r)),
      },
      firstDownloadDone: () => done(),
      flushes,
    };
  };
  const settle = () => new Promise<void>((r) => setImmediate(r));

  it('prunes only after the first download and once replication is idle, then again every period, until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const f = fakeSync();
      const runs: number[] = [];
      const stop = startMovementPruning(db, f.sync, {
        everyMs: 1000,
        prune: () => {
          runs.push(Date.now());
          return Promise.resolve();
        },
      });
      await settle();
      expect(f.flushes).toHaveLength(0); // still downloading: nothing asked, nothing pruned
      f.firstDownloadDone();
      await settle();
      expect(f.flushes).toHaveLength(1);
      expect(runs).toHaveLength(0); // waits for replication to be idle
      f.flushes[0]!(true);
      await settle();
      expect(runs).toHaveLength(1);
      // Not idle within the wait: skipped this time, tried again next period.
      await vi.advanceTimersByTimeAsync(1000);
      expect(f.flushes).toHaveLength(2);
      f.flushes[1]!(false);
      await settle();
      expect(runs).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1000);
      f.flushes[2]!(true);
      await settle();
      expect(runs).toHaveLength(2);
      // Stopped (the partition closes): no further run, even when a pending flush resolves.
      await vi.advanceTimersByTimeAsync(1000);
      stop();
      f.flushes[3]!(true);
      await settle();
      await vi.advanceTimersByTimeAsync(5000);
      expect(runs).toHaveLength(2);
      expect(f.flushes).toHaveLength(4);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a failed prune is reported and the schedule goes on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const f = fakeSync();
      let calls = 0;
      const stop = startMovementPruning(db, f.sync, {
        everyMs: 1000,
        prune: () => (++calls === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve()),
      });
      f.firstDownloadDone();
      await settle();
      f.flushes[0]!(true);
      await settle();
      expect(warn).toHaveBeenCalledWith('movement pruning failed', expect.any(Error));
      await vi.advanceTimersByTimeAsync(1000);
      f.flushes[1]!(true);
      await settle();
      expect(calls).toBe(2);
      stop();
    } finally {
      warn.mockRestore();
      vi.useRealTimers();
    }
  });
});
