import type { Confirmation } from '../../../shared/audit/chain.js';
import type { MovementDoc } from '../../../shared/domain/schemas.js';
import type { TenantDatabase } from '../../data/database.js';
import { currentActor } from '../../data/workspace.js';
import { recordMovement } from '../../data/writes.js';

/*
 * Thin adapter from the floor screens to the local data API: every write is a movement through
 * the audited path (`recordMovement`), awaited before the screen reports success.
 */

/** A movement with the ledger's bookkeeping filled in (seq 0: not yet accepted by the server). */
export function newMovement(
  tenantId: string,
  m: Pick<MovementDoc, 'itemId' | 'type' | 'quantity' | 'fromLocationId' | 'toLocationId' | 'batch'> & {
    note?: string | null;
  },
): MovementDoc {
  const actor = currentActor();
  return {
    id: crypto.randomUUID(),
    tenantId,
    itemId: m.itemId,
    type: m.type,
    quantity: m.quantity,
    fromLocationId: m.fromLocationId,
    toLocationId: m.toLocationId,
    batch: m.batch,
    note: m.note ?? null,
    reversalOf: null,
    createdAt: new Date().toISOString(),
    createdBy: actor.userId,
    deviceId: actor.deviceId,
    seq: 0,
  };
}

/** Move stock from a receiving bin to a storage bin. */
export async function putAwayStock(
  db: TenantDatabase,
  tenantId: string,
  p: {
    itemId: string;
    from: string;
    to: string;
    batch: string | null;
    quantity: number;
    expiresAt: string | null;
  },
): Promise<void> {
  const m = newMovement(tenantId, {
    itemId: p.itemId,
    type: 'putaway',
    quantity: p.quantity,
    fromLocationId: p.from,
    toLocationId: p.to,
    batch: p.batch,
  });
  await recordMovement(db, currentActor(), m);
}

/** Record a confirmed count adjustment (stock in without a source, out without a destination). */
export async function recordCountAdjustment(
  db: TenantDatabase,
  movement: MovementDoc,
  confirmation: Confirmation,
): Promise<void> {
  await recordMovement(db, currentActor(), movement, { reason: confirmation.reason, confirmation });
}
