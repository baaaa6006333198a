/**
 * Failed-login throttle: at most `limit` failures per key within `windowMs`. In memory on purpose:
 * it blunts online guessing against one instance; a shared store is a later concern.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => Date,
    readonly limit = 5,
    readonly windowMs = 60_000,
  ) {}

  private recent(key: string): number[] {
    const t = this.now().getTime();
    const list = (this.failures.get(key) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Seconds until another attempt is allowed, or 0 when the key is not blocked. */
  blockedFor(key: string): number {
    const list = this.recent(key);
    if (list.length < this.limit) return 0;
    const oldest = list[list.length - this.limit] ?? this.now().getTime();
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now().getTime()) / 1000));
  }

  fail(key: string): void {
    const list = this.recent(key);
    list.push(this.now().getTime());
    this.failures.set(key, list);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}
