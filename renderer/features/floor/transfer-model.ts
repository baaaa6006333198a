/*
 * Pure rules of the "Move stock" floor screen (bin-to-bin transfer). The ledger itself refuses a
 * move that would make stock negative; these decide what the screen offers and refuses before
 * anything is written, from the rows the PC shows (server balance + own unsynced movements).
 */
import { parseQty } from './parts.js';

/** One holding of a bin: how much of an item's batch lies there, and when it expires. */
export type Holding = {
  itemId: string;
  locationId: string;
  batch: string | null;
  quantity: number;
  expiresAt?: string | null;
};

/**
 * What a bin holds of one item, per batch with stock, first-expiring first (undated last, then by
 * batch), so the batch offered first is the one to move first.
 */
export function binHoldings(rows: readonly Holding[], locationId: string, itemId: string): Holding[] {
  return rows
    .filter((r) => r.locationId === locationId && r.itemId === itemId && r.quantity > 0)
    .sort(
      (a, b) =>
        (a.expiresAt ?? '\uffff').localeCompare(b.expiresAt ?? '\uffff') ||
        (a.batch ?? '').localeCompare(b.batch ?? ''),
    );
}

/** The holding a typed or scanned batch names (case-insensitive; blank names the unbatched one). */
export function matchBatch(holdings: readonly Holding[], typed: string): Holding | null {
  const t = typed.trim().toLowerCase();
  return holdings.find((h) => (h.batch ?? '').toLowerCase() === t) ?? null;
}

/** Why a transfer is refused before anything is written (i18n key `floor.transfer.<code>`). */
export type TransferProblem =
  | { code: 'badQuantity' }
  | { code: 'tooMuch'; available: number; quantity: number }
  | { code: 'noTarget' }
  | { code: 'sameBin'; location: string };

/** A transfer the ledger can be asked to write. */
export type TransferPlan = {
  itemId: string;
  batch: string | null;
  from: string;
  to: string;
  qty: number;
};

/** Check the typed quantity against the chosen holding (a positive number, at most what is there). */
export function checkQuantity(
  holding: Holding,
  typed: string,
): { ok: true; qty: number } | { ok: false; problem: TransferProblem } {
  const qty = parseQty(typed);
  if (qty === null) return { ok: false, problem: { code: 'badQuantity' } };
  if (qty > holding.quantity)
    return { ok: false, problem: { code: 'tooMuch', available: holding.quantity, quantity: qty } };
  return { ok: true, qty };
}

/** The whole move, or the first reason it cannot be made (quantity, then destination). */
export function planTransfer(
  holding: Holding,
  typedQty: string,
  to: string,
): { ok: true; plan: TransferPlan } | { ok: false; problem: TransferProblem } {
  const q = checkQuantity(holding, typedQty);
  if (!q.ok) return q;
  const target = to.trim().toUpperCase();
  if (target === '') return { ok: false, problem: { code: 'noTarget' } };
  if (target === holding.locationId.toUpperCase())
    return { ok: false, problem: { code: 'sameBin', location: holding.locationId } };
  return {
    ok: true,
    plan: { itemId: holding.itemId, batch: holding.batch, from: holding.locationId, to: target, qty: q.qty },
  };
}
