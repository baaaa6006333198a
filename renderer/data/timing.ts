/**
 * User Timing measures of the app's start-up steps (`bulkhead:<step>`, e.g. `bulkhead:login`,
 * `bulkhead:parse items`): the benchmarks read them to say where an app start's time went
 * (tests/bench/browser-bench.ts `startSteps`). They cost a timestamp; they never throw.
 */
export function measureStep(step: string, start: number, detail?: Record<string, number>): void {
  try {
    performance.measure(`bulkhead:${step}`, { start, end: performance.now(), detail });
  } catch {
    // No User Timing here (an old runtime): nothing to record.
  }
}

/** `run`, measured as `bulkhead:<step>` when it settles. */
export async function timedStep<T>(step: string, run: Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await run;
  } finally {
    measureStep(step, start);
  }
}
