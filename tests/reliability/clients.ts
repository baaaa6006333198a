/**
 * One warehouse PC for the reliability suites: a browser context of its own (its own IndexedDB,
 * localStorage and device id), a fault proxy of its own, and a page running the real renderer data
 * layer (harness/client.ts). Pages can be reloaded or closed; the context — the PC's disk — stays.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { ReliabilityClient } from './harness/client.js';
import type { RepairRecord } from '../../renderer/data/workspace.js';
import { startFaultProxy, type FaultProxy } from './proxy.js';

type W = { rel: ReliabilityClient };

/** Date and Date.now in the page run `skewMs` off (the PC's clock is wrong; timers are not). */
export const clockSkewScript = (skewMs: number) => `(() => {
  const skew = ${skewMs};
  const Real = Date;
  function SkewedDate(...a) {
    if (!new.target) return new Real(Real.now() + skew).toString();
    return a.length === 0 ? new Real(Real.now() + skew) : new Real(...a);
  }
  SkewedDate.prototype = Real.prototype;
  SkewedDate.now = () => Real.now() + skew;
  SkewedDate.parse = Real.parse;
  SkewedDate.UTC = Real.UTC;
  Object.setPrototypeOf(SkewedDate, Real);
  globalThis.Date = SkewedDate;
})();`;

export type Pc = {
  username: string;
  proxy: FaultProxy;
  context: BrowserContext;
  page: Page | null;
  userId: string;
  /** Open the app (a new page) and sign in, online or against the offline ticket. */
  open(): Promise<void>;
  /** The page goes away without any cleanup (power cut, crash, window closed). */
  kill(): Promise<void>;
  /**
   * Every stale copy this PC repaired (issue #7), over all its pages: a page keeps its own list
   * (`__bulkheadRepairs`), so `kill` reads it first. Each is a divergence whose cause is unknown.
   */
  repairs(): Promise<RepairRecord[]>;
  call<K extends keyof ReliabilityClient>(
    method: K,
    ...args: Parameters<ReliabilityClient[K]>
  ): Promise<Awaited<ReturnType<ReliabilityClient[K]>>>;
  dispose(): Promise<void>;
};

export async function startPc(o: {
  browser: Browser;
  serverUrl: () => string;
  assets: Map<string, [string, string | Buffer]>;
  username: string;
  skewMs?: number;
  rand: () => number;
  log?: (line: string) => void;
}): Promise<Pc> {
  const context = await o.browser.newContext();
  if (o.skewMs) await context.addInitScript(clockSkewScript(o.skewMs));
  await context.addInitScript('globalThis.__name = (f) => f;');
  const proxy = await startFaultProxy({ target: o.serverUrl, assets: o.assets, rand: o.rand });
  const log = o.log ?? (() => undefined);
  /** Repairs of pages already gone. */
  const earlier: RepairRecord[] = [];
  const pageRepairs = async (page: Page | null): Promise<RepairRecord[]> =>
    page
      ? Promise.race([
          page.evaluate(() => (globalThis as unknown as W).rel.repairs()),
          new Promise<RepairRecord[]>((resolve) => setTimeout(() => resolve([]), 2000)),
        ]).catch(() => [])
      : [];
  const pc: Pc = {
    username: o.username,
    proxy,
    context,
    page: null,
    userId: '',
    async open() {
      const page = await context.newPage();
      page.on('pageerror', (e) => log(`[${o.username}] page error: ${e.message}`));
      if (process.env['RELIABILITY_DEBUG'])
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') log(`[${o.username}] ${m.type()}: ${m.text()}`);
        });
      await page.goto(`${proxy.url}/`);
      await page.waitForFunction(() => 'rel' in globalThis);
      pc.page = page;
      const res = await page.evaluate((u) => (globalThis as unknown as W).rel.signIn(u), o.username);
      pc.userId = res.userId;
    },
    async kill() {
      const p = pc.page;
      pc.page = null;
      earlier.push(...(await pageRepairs(p)));
      await p?.close({ runBeforeUnload: false });
    },
    async repairs() {
      return [...earlier, ...(await pageRepairs(pc.page))];
    },
    call(method, ...args) {
      if (!pc.page) throw new Error(`${o.username} has no page`);
      return pc.page.evaluate(
        ([m, a]) => {
          const h = (globalThis as unknown as W).rel as unknown as Record<
            string,
            (...x: unknown[]) => unknown
          >;
          return h[m]!(...a);
        },
        [method, args] as [string, unknown[]],
      ) as never;
    },
    async dispose() {
      await context.close().catch(() => undefined);
      await proxy.close().catch(() => undefined);
    },
  };
  return pc;
}

/** Poll `probe` until it gives a value (not null); on timeout, fail with `describe()`'s account. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null>,
  timeoutMs = 30_000,
  describe?: () => Promise<string>,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const extra = describe ? await describe().catch((e: unknown) => String(e)) : '';
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}${extra ? `\n${extra}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
