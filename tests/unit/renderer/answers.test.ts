import { describe, expect, it } from 'vitest';
import { inOrder } from '../../../renderer/data/answers.js';

/** A question whose answers the test hands out, in whatever order it likes. */
function askable() {
  const waiting: ((v: string) => void)[] = [];
  const ask = inOrder(() => new Promise<string>((resolve) => waiting.push(resolve)));
  return { ask, answer: (i: number, v: string) => waiting[i]?.(v) };
}

describe('answers used in the order the questions were asked', () => {
  it('an answer that arrives after a later question was answered is dropped', async () => {
    const q = askable();
    const first = q.ask();
    const second = q.ask();
    q.answer(1, 'operator');
    await expect(second).resolves.toBe('operator');
    q.answer(0, 'finance');
    await expect(first).resolves.toBeUndefined();
  });

  it('answers that arrive in order are all used, and a failed question drops nothing later', async () => {
    const q = askable();
    const first = q.ask();
    const second = q.ask();
    q.answer(0, 'finance');
    q.answer(1, 'operator');
    await expect(first).resolves.toBe('finance');
    await expect(second).resolves.toBe('operator');

    let fail = true;
    const flaky = inOrder(() => (fail ? Promise.reject(new Error('offline')) : Promise.resolve('admin')));
    await expect(flaky()).rejects.toThrow('offline');
    fail = false;
    await expect(flaky()).resolves.toBe('admin');
  });
});
