import type { MovementDoc } from '../../../shared/domain/schemas.js';

/** What the receive form collected. */
export type ReceiveInput = { quantity: string; location: string; batch: string };

/** Validation result: either a movement-ready value or the i18n key of the problem. */
export type ReceiveCheck =
  | { ok: true; quantity: number; location: string; batch: string | null }
  | { ok: false; error: 'receive.badQuantity' | 'receive.badLocation' };

/** Check the form before anything is written. */
export function checkReceive(input: ReceiveInput): ReceiveCheck {
  const quantity = Number(input.quantity.replace(',', '.'));
  if (!Number.isFinite(quantity) || quantity <= 0 || quantity > 1e9)
    return { ok: false, error: 'receive.badQuantity' };
  const location = input.location.trim();
  if (location === '' || location.length > 64) return { ok: false, error: 'receive.badLocation' };
  const batch = input.batch.trim();
  return { ok: true, quantity, location, batch: batch === '' ? null : batch.slice(0, 64) };
}

/** The receipt movement for a checked input (seq 0: not yet accepted by the server). */
export function receiptMovement(args: {
  id: string;
  tenantId: string;
  itemId: string;
  quantity: number;
  location: string;
  batch: string | null;
  userId: string;
  deviceId: string;
  now: Date;
}): MovementDoc {
  return {
    id: args.id,
    tenantId: args.tenantId,
    itemId: args.itemId,
    type: 'receipt',
    quantity: args.quantity,
    fromLocationId: null,
    toLocationId: args.location,
    batch: args.batch,
    note: null,
    createdAt: args.now.toISOString(),
    createdBy: args.userId,
    deviceId: args.deviceId,
    seq: 0,
  };
}
