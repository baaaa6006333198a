/**
 * Request rate limits: fixed windows counted in memory per key (an IP, a user). In memory on
 * purpose, like the login throttle: it protects one instance from a runaway or hostile client;
 * a shared store is a later concern. A limit of 0 switches that limit off.
 */

/** Limits per window; generous for API calls (a warehouse behind one NAT), strict for sign-in. */
export type RateLimits = {
  /** Length of one counting window in milliseconds. */
  windowMs: number;
  /** Sign-in and co-sign attempts per IP address per window (the per-username failure throttle is separate). */
  loginPerIp: number;
  /** Authenticated API requests per user per window. */
  apiPerUser: number;
  /** API requests per IP address per window (every PC of a site may share one address). */
  apiPerIp: number;
};

export const DEFAULT_RATE_LIMITS: RateLimits = {
  windowMs: 60_000,
  loginPerIp: 120,
  apiPerUser: 6_000,
  apiPerIp: 60_000,
};

const ENV_KEYS: Record<keyof RateLimits, string> = {
  windowMs: 'BULKHEAD_RATE_WINDOW_MS',
  loginPerIp: 'BULKHEAD_RATE_LOGIN_PER_IP',
  apiPerUser: 'BULKHEAD_RATE_API_PER_USER',
  apiPerIp: 'BULKHEAD_RATE_API_PER_IP',
};

/** Limits set in the environment (`BULKHEAD_RATE_*`); a value that is not a whole number ≥ 0 is refused. */
export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<RateLimits> {
  const out: Partial<RateLimits> = {};
  for (const [key, name] of Object.entries(ENV_KEYS) as [keyof RateLimits, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || (key === 'windowMs' && n === 0))
      throw new Error(`${name} must be a whole number ≥ 0 (windowMs ≥ 1), got ${JSON.stringify(raw)}`);
    out[key] = n;
  }
  return out;
}

/** Counts hits per key in fixed windows. */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly now: () => Date,
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one hit for `key`; returns 0 when allowed, else the seconds until the window ends. */
  hit(key: string): number {
    if (this.limit <= 0) return 0;
    const t = this.now().getTime();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs || t < w.start) {
      if (!w && this.windows.size >= this.maxKeys) this.prune(t);
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    if (w.count <= this.limit) return 0;
    return Math.max(1, Math.ceil((w.start + this.windowMs - t) / 1000));
  }

  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
    // Still full (a flood of distinct keys): start over rather than grow without bound.
    if (this.windows.size >= this.maxKeys) this.windows.clear();
  }
}
