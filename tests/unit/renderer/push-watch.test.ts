import { describe, expect, it } from 'vitest';
import { PushWatch } from '../../../renderer/data/push-watch.js';

const doc = (id: string, seq: number, status = 'open') => ({ id, seq, status });

describe('PushWatch: versions pulled while a push of the same document was under way', () => {
  it('hands a version pulled during the push to the next pull once the push is settled', () => {
    const w = new PushWatch();
    w.begin(['o1']);
    // The pull brings o1@19 while the push is unanswered (RxDB skips it: the PC has a change).
    expect(w.onPull([doc('o1', 19, 'packed'), doc('o2', 20)])).toHaveLength(2);
    w.answer([], [{ id: 'o1', seq: 15 }]);
    expect(w.settle(['o1'])).toBe(true);
    // The next pull (nothing new on the server) brings it again.
    expect(w.onPull([])).toEqual([doc('o1', 19, 'packed')]);
    // Once only.
    expect(w.onPull([])).toEqual([]);
  });

  it('hands over nothing when nothing of the ids was pulled meanwhile', () => {
    const w = new PushWatch();
    w.begin(['o1']);
    w.onPull([doc('o2', 3)]);
    w.answer([], [{ id: 'o1', seq: 4 }]);
    expect(w.settle(['o1'])).toBe(false);
    expect(w.onPull([])).toEqual([]);
  });

  it('keeps the newest version pulled, and hands over the version the push made itself', () => {
    const w = new PushWatch();
    w.begin(['o1']);
    w.onPull([doc('o1', 15, 'picking')]);
    w.onPull([doc('o1', 12, 'open')]);
    w.answer([], [{ id: 'o1', seq: 15 }]);
    expect(w.settle(['o1'])).toBe(true);
    expect(w.onPull([])).toEqual([doc('o1', 15, 'picking')]);
  });

  it('drops a version older than the answer (pulled before the push was applied)', () => {
    const w = new PushWatch();
    w.begin(['o1', 'o2']);
    w.onPull([doc('o1', 10), doc('o2', 11)]);
    // o1 accepted at 14; o2 answered with the server's newer version 13.
    w.answer([doc('o2', 13)], [{ id: 'o1', seq: 14 }]);
    expect(w.settle(['o1', 'o2'])).toBe(false);
    expect(w.onPull([])).toEqual([]);
  });

  it('does not hand over a version a newer pull already brings', () => {
    const w = new PushWatch();
    w.begin(['o1']);
    w.onPull([doc('o1', 19)]);
    w.answer([], [{ id: 'o1', seq: 15 }]);
    w.settle(['o1']);
    expect(w.onPull([doc('o1', 25, 'shipped')])).toEqual([doc('o1', 25, 'shipped')]);
  });

  it('waits for every push of an id under way (a retried push begins again)', () => {
    const w = new PushWatch();
    w.begin(['o1']);
    w.begin(['o1']);
    w.onPull([doc('o1', 19)]);
    expect(w.settle(['o1'])).toBe(false);
    expect(w.onPull([])).toEqual([]);
    expect(w.settle(['o1'])).toBe(true);
    expect(w.onPull([])).toEqual([doc('o1', 19)]);
  });

  it('remembers a handed-over version again when the id is under way once more', () => {
    const w = new PushWatch();
    w.begin(['o1']);
    w.onPull([doc('o1', 19)]);
    w.settle(['o1']);
    w.begin(['o1']);
    expect(w.onPull([])).toEqual([doc('o1', 19)]);
    expect(w.settle(['o1'])).toBe(true);
    expect(w.onPull([])).toEqual([doc('o1', 19)]);
  });

  it('ignores documents of ids not under way', () => {
    const w = new PushWatch();
    w.onPull([doc('o1', 19)]);
    expect(w.settle(['o1'])).toBe(false);
    expect(w.onPull([])).toEqual([]);
  });
});
