/**
 * Screen timings in the built app for the scale benchmark: one user action (click, select, type),
 * then `requestAnimationFrame` polling until the screen shows what it should; the longest main
 * thread task (Long Tasks API) inside that window says whether the screen froze.
 */
import type { BrowserContext, Page } from '@playwright/test';

/** Records every long task (> 50 ms) of every page of the context in `__longTasks`. */
export async function observeLongTasks(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(`
    globalThis.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) globalThis.__longTasks.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    } catch {}
  `);
}

/** What the user does. `text`: the element whose text contains it (among `selector`). */
export type Action =
  | { kind: 'click'; selector: string; text?: string }
  | { kind: 'select'; selector: string; value: string }
  | { kind: 'type'; selector: string; value: string; enter?: boolean };

/**
 * When the screen is ready: at least `min` (default 1) elements match `selector`, one of them
 * contains `text` when given, `attr` (name=value) when given, and nothing matches `absent`.
 */
export type Ready = {
  selector: string;
  min?: number;
  text?: string;
  attr?: [string, string];
  absent?: string;
};

export type Timing = { ms: number; longestTaskMs: number };

/** Does `action`, waits for `ready` (up to `timeoutMs`), and returns the time and longest task. */
export async function timeAction(
  page: Page,
  action: Action,
  ready: Ready,
  timeoutMs = 120_000,
): Promise<Timing> {
  // The page checks its own deadline, but only between frames: a frozen page is caught here.
  let timer: NodeJS.Timeout | undefined;
  const frozen = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the page did not answer within ${timeoutMs + 30_000} ms`)),
      timeoutMs + 30_000,
    );
  });
  const evaluated = page.evaluate(
    ([action, ready, timeoutMs]) =>
      new Promise<{ t0: number; t1: number } | { error: string }>((resolve) => {
        const find = (sel: string, text?: string) =>
          [...document.querySelectorAll<HTMLElement>(sel)].find(
            (e) => text === undefined || (e.textContent ?? '').includes(text),
          );
        const el = find(action.selector, action.kind === 'click' ? action.text : undefined);
        if (!el) return resolve({ error: `nothing matches ${action.selector} ${JSON.stringify(action)}` });
        const t0 = performance.now();
        if (action.kind === 'click') el.click();
        else {
          const proto = action.kind === 'select' ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
          Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, action.value);
          el.dispatchEvent(new Event(action.kind === 'select' ? 'change' : 'input', { bubbles: true }));
          if (action.kind === 'type' && action.enter)
            el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
        }
        const isReady = () => {
          const all = [...document.querySelectorAll<HTMLElement>(ready.selector)];
          if (all.length < (ready.min ?? 1)) return false;
          if (ready.text !== undefined && !all.some((e) => (e.textContent ?? '').includes(ready.text ?? '')))
            return false;
          if (ready.attr && !all.some((e) => e.getAttribute(ready.attr?.[0] ?? '') === ready.attr?.[1]))
            return false;
          return ready.absent === undefined || document.querySelector(ready.absent) === null;
        };
        const check = () => {
          if (isReady()) resolve({ t0, t1: performance.now() });
          else if (performance.now() - t0 > timeoutMs)
            resolve({ error: `not ready after ${timeoutMs} ms: ${document.body.innerText.slice(0, 300)}` });
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
    [action, ready, timeoutMs] as const,
  );
  const r = await Promise.race([evaluated, frozen]).finally(() => clearTimeout(timer));
  if ('error' in r) throw new Error(r.error);
  return { ms: r.t1 - r.t0, longestTaskMs: await longestTask(page, r.t0, r.t1) };
}

/** The longest task that started in [t0, t1] (ms; 0 when none was long). */
export async function longestTask(page: Page, t0: number, t1: number): Promise<number> {
  // Long task entries are delivered after the task: give the observer two frames.
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))),
  );
  return page.evaluate(
    ([t0, t1]) => {
      const all = (globalThis as unknown as { __longTasks?: [number, number][] }).__longTasks ?? [];
      return all.filter(([s]) => s >= t0 - 1 && s <= t1).reduce((m, [, d]) => Math.max(m, d), 0);
    },
    [t0, t1] as const,
  );
}

/**
 * Scrolls `selector` from top to bottom in `steps` frames (one scroll per animation frame) and
 * returns the longest gap between frames and the longest task, in ms.
 */
export async function scrollThrough(
  page: Page,
  selector: string,
  steps: number,
): Promise<{ worstFrameMs: number; longestTaskMs: number; rows: number }> {
  const r = await page.evaluate(
    ([selector, steps]) =>
      new Promise<{ t0: number; t1: number; worst: number; rows: number } | { error: string }>((resolve) => {
        const el = document.querySelector<HTMLElement>(selector);
        if (!el) return resolve({ error: `nothing matches ${selector}` });
        const max = el.scrollHeight - el.clientHeight;
        const t0 = performance.now();
        let last = t0;
        let worst = 0;
        let i = 0;
        const step = () => {
          const now = performance.now();
          worst = Math.max(worst, now - last);
          last = now;
          if (i > steps) {
            return resolve({ t0, t1: now, worst, rows: el.querySelectorAll('[role="row"], tr').length });
          }
          el.scrollTop = Math.round((max * i) / steps);
          i++;
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      }),
    [selector, steps] as const,
  );
  if ('error' in r) throw new Error(r.error);
  return { worstFrameMs: r.worst, longestTaskMs: await longestTask(page, r.t0, r.t1), rows: r.rows };
}
