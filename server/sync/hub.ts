import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { SyncCollection } from '../../shared/sync/protocol.js';
import { CHANGES_CHANNEL } from '../db/connect.js';
import type { Database, DB } from '../db/types.js';

const ChangePayload = z.object({
  tenantId: z.string(),
  seq: z.number(),
  collections: z.array(SyncCollection),
});
export type ChangePayload = z.infer<typeof ChangePayload>;

/**
 * Control notices on the same channel: a role or policy change (`userId` absent = every member of
 * the tenant) and a revoked membership. Each stream turns them into its own events.
 */
const ControlPayload = z.object({
  control: z.enum(['policy-changed', 'membership-revoked']),
  tenantId: z.string(),
  userId: z.string().optional(),
});
export type ControlPayload = z.infer<typeof ControlPayload>;

/** A new anomaly alert of a tenant. */
const AlertPayload = z.object({
  alert: z.literal(true),
  tenantId: z.string(),
  alertId: z.string(),
  rule: z.string(),
});
export type AlertPayload = z.infer<typeof AlertPayload>;

export type HubMessage =
  | ({ kind: 'change' } & ChangePayload)
  | ({ kind: 'control' } & ControlPayload)
  | ({ kind: 'alert' } & AlertPayload);

type Listener = (m: HubMessage) => void;

/**
 * Queues a control notice in the transaction: PostgreSQL delivers it at commit (to every server
 * instance), never for a rolled-back change.
 */
export async function notifyControl(tx: Kysely<DB>, payload: ControlPayload): Promise<void> {
  await sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(payload)})`.execute(tx);
}

/**
 * Routes database notifications to stream subscribers by tenant. Subscribers only ever get
 * payloads of the tenant they subscribed to (checked at connect), so one tenant's stream never
 * hears another's changes.
 */
export class ChangeHub {
  private readonly byTenant = new Map<string, Set<Listener>>();
  private unsubscribe: Promise<() => void> | null = null;

  constructor(private readonly db: Database) {}

  private dispatch = (raw: string): void => {
    let msg: HubMessage;
    try {
      const json: unknown = JSON.parse(raw);
      const c = ControlPayload.safeParse(json);
      const a = AlertPayload.safeParse(json);
      msg = c.success
        ? { kind: 'control', ...c.data }
        : a.success
          ? { kind: 'alert', ...a.data }
          : { kind: 'change', ...ChangePayload.parse(json) };
    } catch {
      return;
    }
    for (const l of this.byTenant.get(msg.tenantId) ?? []) l(msg);
  };

  /** Resolves once the database LISTEN is active, so no change committed afterwards is missed. */
  async subscribe(tenantId: string, listener: Listener): Promise<() => void> {
    this.unsubscribe ??= this.db.onNotify(this.dispatch).catch((e: unknown) => {
      // Let the next subscriber retry instead of caching the failure forever.
      this.unsubscribe = null;
      throw e;
    });
    await this.unsubscribe;
    let set = this.byTenant.get(tenantId);
    if (!set) this.byTenant.set(tenantId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byTenant.delete(tenantId);
    };
  }

  get subscriberCount(): number {
    let n = 0;
    for (const s of this.byTenant.values()) n += s.size;
    return n;
  }
}
