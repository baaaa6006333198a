import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { withAppTransaction } from '../db/scope.js';
import type { Database } from '../db/types.js';
import type { WebhookConfig } from './service.js';

/** Waits after the 1st, 2nd, … failed attempt; one attempt more than there are waits. */
export const DEFAULT_BACKOFF_MS = [1000, 2000, 4000, 8000];

/** `X-Bulkhead-Signature` of a body: `sha256=` + hex HMAC-SHA256 with the webhook secret. */
export const webhookSignature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

type Logger = { warn(obj: object, msg: string): void };

/**
 * The webhook outbox worker. Deliveries are rows of `alert_deliveries`, written in the same
 * transaction as their alert, so a crash or restart loses none: on start (and on every kick after
 * a request raised an alert) due rows are claimed with a lease, posted, and marked delivered or
 * rescheduled with backoff; after the last attempt a row is marked failed. Never blocks a request.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly backoff: number[];

  constructor(
    private readonly db: Database,
    private readonly cfg: WebhookConfig,
    private readonly log: Logger,
    private readonly leaseMs = 30_000,
    private readonly idleMs = 30_000,
  ) {
    this.backoff = cfg.backoffMs ?? DEFAULT_BACKOFF_MS;
  }

  /** Deliver what is due now (coalesces concurrent kicks). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** Resolves when nothing is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => {});
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, Math.min(at - Date.now(), this.idleMs)));
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const due = await this.claim();
        if (due.length === 0) break;
        await Promise.all(due.map((d) => this.deliver(d)));
      }
      const next = await withAppTransaction(this.db, (tx) =>
        tx
          .selectFrom('alert_deliveries')
          .select((eb) => eb.fn.min('next_attempt_at').as('next'))
          .where('status', '=', 'pending')
          .where('url', '=', this.cfg.url)
          .executeTakeFirst(),
      );
      const at = next?.next ? new Date(next.next).getTime() : Date.now() + this.idleMs;
      this.schedule(at);
    } catch (e) {
      this.log.warn({ err: e }, 'alert webhook: outbox unavailable; retrying');
      this.schedule(Date.now() + 1000);
    }
  }

  private async claim(): Promise<{ id: string; body: string; attempts: number }[]> {
    if (this.stopped) return [];
    const now = new Date();
    return withAppTransaction(this.db, async (tx) => {
      const rows = await tx
        .selectFrom('alert_deliveries')
        .select(['id', 'body', 'attempts'])
        .where('status', '=', 'pending')
        .where('url', '=', this.cfg.url)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(20)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return [];
      await tx
        .updateTable('alert_deliveries')
        .set({ next_attempt_at: new Date(now.getTime() + this.leaseMs) })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.map((r) => ({ id: r.id, body: r.body, attempts: Number(r.attempts) }));
    });
  }

  private async deliver(d: { id: string; body: string; attempts: number }): Promise<void> {
    const attempt = d.attempts + 1;
    let error: string | null = null;
    try {
      const res = await fetch(this.cfg.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-bulkhead-signature': webhookSignature(this.cfg.secret, d.body),
          'x-bulkhead-delivery': d.id,
          'x-bulkhead-attempt': String(attempt),
        },
        body: d.body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const now = new Date();
    await withAppTransaction(this.db, async (tx) => {
      if (error === null) {
        await tx
          .updateTable('alert_deliveries')
          .set({ status: 'delivered', attempts: attempt, delivered_at: now, last_error: null })
          .where('id', '=', d.id)
          .execute();
        return;
      }
      const wait = this.backoff[attempt - 1];
      await tx
        .updateTable('alert_deliveries')
        .set({
          status: wait === undefined ? 'failed' : 'pending',
          attempts: attempt,
          last_error: error,
          next_attempt_at: new Date(now.getTime() + (wait ?? 0)),
        })
        .where('id', '=', d.id)
        .execute();
    });
    if (error !== null) this.log.warn({ delivery: d.id, attempt, error }, 'alert webhook delivery failed');
  }
}

/** Counts of the outbox by status (tests, health). */
export async function deliveryCounts(db: Database): Promise<Record<string, number>> {
  const rows = await withAppTransaction(db, (tx) =>
    tx
      .selectFrom('alert_deliveries')
      .select(['status', sql<number>`count(*)`.as('n')])
      .groupBy('status')
      .execute(),
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
