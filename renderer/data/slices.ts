/**
 * Long passes over a tenant's documents cut into slices, so the window keeps answering (issue #5:
 * no main-thread task over 200 ms on a tenant of 100,000 items).
 *
 * A pass is written once, as a generator that `yield`s now and then (every few thousand
 * documents); `runAll` runs it in one go (tests, small data), `runSliced` runs it in tasks of at
 * most about `budgetMs`, letting pending events (input, paint, network) run in between.
 */
export type Pass<T> = Generator<void, T, void>;

/** Run a pass to its end in the current task. */
export function runAll<T>(pass: Pass<T>): T {
  for (;;) {
    const step = pass.next();
    if (step.done) return step.value;
  }
}

/** Let pending events run: a new task, without a timer's clamp (MessageChannel). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * Run a pass in slices of about `budgetMs` of work each, a new task between slices. `cancelled`
 * is asked between slices: when it says yes the pass is abandoned and the promise resolves null.
 * `pause` is how a slice ends (tests pass their own; the app takes a new task).
 */
export async function runSliced<T>(
  pass: Pass<T>,
  o: { budgetMs?: number; cancelled?: () => boolean; pause?: () => Promise<void>; now?: () => number } = {},
): Promise<T | null> {
  const budget = o.budgetMs ?? 40;
  const now = o.now ?? (() => performance.now());
  const pause = o.pause ?? nextTask;
  let sliceStart = now();
  for (;;) {
    const step = pass.next();
    if (step.done) return step.value;
    if (now() - sliceStart >= budget) {
      await pause();
      if (o.cancelled?.()) {
        pass.return(undefined as never);
        return null;
      }
      sliceStart = now();
    }
  }
}
