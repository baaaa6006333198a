import { z } from 'zod';
import { SyncCollection } from '../../shared/sync/protocol.js';
import type { Database } from '../db/types.js';

const ChangePayload = z.object({
  tenantId: z.string(),
  seq: z.number(),
  collections: z.array(SyncCollection),
});
export type ChangePayload = z.infer<typeof ChangePayload>;

type Listener = (c: ChangePayload) => void;

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
    let parsed: ChangePayload;
    try {
      parsed = ChangePayload.parse(JSON.parse(raw));
    } catch {
      return;
    }
    for (const l of this.byTenant.get(parsed.tenantId) ?? []) l(parsed);
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
