/**
 * Which changes destroy something and must carry a confirmation (I5), and what the user retypes.
 * Pure: the server (validation) and the renderer (dialog) call the same function.
 */

export type DestructiveKind =
  'delete' | 'write-off' | 'quantity-correction' | 'batch-change' | 'rollback' | 'cancel' | 'deactivate';

/** What is needed to judge a change: the entity, stored state (null if new) and new state. */
export type ChangeToJudge = {
  entity: 'items' | 'movements' | 'orders' | 'receipts';
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
  /** The SKU of an item id (movements name items by id). */
  skuOf: (itemId: string) => string | null;
};

/** The verdict: not destructive, or the kind, the value to retype and the size for the threshold. */
export type Destructiveness =
  | { destructive: false }
  | { destructive: true; kind: DestructiveKind; identifying: string; quantity: number };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Judge a change. */
export function judgeChange(c: ChangeToJudge): Destructiveness {
  const a = c.after;
  if (c.entity === 'items') {
    const sku = str(a['sku']) ?? str(c.before?.['sku']) ?? '';
    if (a['_deleted'] === true && c.before !== null && c.before['_deleted'] !== true) {
      return { destructive: true, kind: 'delete', identifying: sku, quantity: 0 };
    }
    return { destructive: false };
  }
  if (c.entity === 'movements') {
    if (c.before !== null) return { destructive: false }; // immutable: a repeat, judged on creation
    const quantity = num(a['quantity']);
    const batch = str(a['batch']);
    const sku = c.skuOf(typeof a['itemId'] === 'string' ? a['itemId'] : '') ?? '';
    const identifying = batch ?? sku;
    if (str(a['reversalOf'])) return { destructive: true, kind: 'rollback', identifying, quantity };
    // A count that moves stock corrects a quantity just like an adjustment does.
    if (a['type'] === 'adjustment' || a['type'] === 'count') {
      // Stock leaving without a destination is a write-off; any other adjustment corrects a quantity.
      const kind: DestructiveKind = a['toLocationId'] === null ? 'write-off' : 'quantity-correction';
      return { destructive: true, kind, identifying, quantity };
    }
    return { destructive: false };
  }
  if (c.entity === 'orders' || c.entity === 'receipts') {
    // Orders are confirmed by their number, receipts (inbound notices) by their reference.
    const number =
      str(a['number']) ??
      str(c.before?.['number']) ??
      str(a['reference']) ??
      str(c.before?.['reference']) ??
      '';
    if (a['_deleted'] === true && c.before !== null && c.before['_deleted'] !== true) {
      return { destructive: true, kind: 'delete', identifying: number, quantity: 0 };
    }
    if (a['status'] === 'cancelled' && c.before?.['status'] !== 'cancelled') {
      return { destructive: true, kind: 'cancel', identifying: number, quantity: 0 };
    }
    return { destructive: false };
  }
  return { destructive: false };
}

/** Does the retyped value match? Case and surrounding spaces do not matter. */
export function typedMatches(typed: string, identifying: string): boolean {
  return typed.trim().toLowerCase() === identifying.trim().toLowerCase() && identifying.trim() !== '';
}

/** Is a co-signature required, given the tenant's threshold (null = never)? */
export function needsCosign(d: Destructiveness, cosignAboveQuantity: number | null): boolean {
  return d.destructive && cosignAboveQuantity !== null && d.quantity > cosignAboveQuantity;
}
