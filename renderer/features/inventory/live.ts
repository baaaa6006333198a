import type { BalanceDoc, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { isUnreflected, itemDelta } from '../../../shared/domain/stock.js';
import { effectiveSeq } from '../../data/acks.js';
import type { InventoryRow } from './model.js';

type Deletable = { _deleted?: boolean };
export type ItemData = Pick<ItemDoc, 'id' | 'sku' | 'name' | 'barcode' | 'uom'> & {
  purchasePrice?: number | null;
} & Deletable;
export type BalanceData = Pick<BalanceDoc, 'id' | 'itemId' | 'quantity' | 'seq'> & Deletable;
export type MovementData = Pick<
  MovementDoc,
  'id' | 'itemId' | 'quantity' | 'fromLocationId' | 'toLocationId' | 'seq'
> &
  Deletable;

/** Grid order: SKU, then id (as RxDB sorts `sku asc` with the primary key as tie-breaker). */
export function compareRows(
  a: Pick<InventoryRow, 'sku' | 'id'>,
  b: Pick<InventoryRow, 'sku' | 'id'>,
): number {
  if (a.sku !== b.sku) return a.sku < b.sku ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The inventory grid's rows, kept current incrementally: on-hand per item is the sum of its
 * server balances plus the movements those balances do not reflect yet (exactly as
 * `onHandByItem` computes it), and one sorted array of rows is rebuilt only where something
 * changed. Documents are held by reference, never copied; every `apply…` is idempotent (a
 * document seen both in the initial read and in a change event counts once).
 */
export class LiveInventory {
  private readonly rowsById = new Map<string, InventoryRow>();
  /** Balance id → the balance as last seen (for the delta when it changes). */
  private readonly balances = new Map<string, BalanceData>();
  private readonly balanceSum = new Map<string, number>();
  private maxBalanceSeq = 0;
  /** Movements that may still be unreflected (seq 0, or above the balances' highest seq). */
  private readonly movements = new Map<string, MovementData>();
  private pendingByItem = new Map<string, number>();
  private acks: ReadonlyMap<string, number> = new Map();
  private sorted: InventoryRow[] = [];
  private readonly dirty = new Set<string>();
  private movementsChanged = false;
  private changed = true;

  /** `base`: the partition's balance base (`balanceBase`), read at each recomputation. */
  constructor(private readonly base: () => number = () => 0) {}

  applyItems(items: readonly ItemData[]): void {
    for (const i of items) {
      this.dirty.add(i.id);
      if (i._deleted) this.rowsById.delete(i.id);
      else this.rowsById.set(i.id, this.row(i));
    }
  }

  applyBalances(balances: readonly BalanceData[]): void {
    for (const b of balances) {
      const old = this.balances.get(b.id);
      if (old) this.addBalance(old.itemId, -old.quantity);
      if (b._deleted) this.balances.delete(b.id);
      else {
        this.balances.set(b.id, b);
        this.addBalance(b.itemId, b.quantity);
        if (b.seq > this.maxBalanceSeq) {
          this.maxBalanceSeq = b.seq;
          this.movementsChanged = true;
        }
      }
    }
  }

  applyMovements(movements: readonly MovementData[]): void {
    for (const m of movements) {
      this.movementsChanged = true;
      if (m._deleted) this.movements.delete(m.id);
      else this.movements.set(m.id, m);
    }
  }

  /** Sequences the server gave to movements this PC pushed (see `acks.ts`). */
  setAcks(acks: ReadonlyMap<string, number>): void {
    if (acks === this.acks) return;
    this.acks = acks;
    this.movementsChanged = true;
  }

  /** The highest balance sequence seen: movements at or below it are reflected in the balances. */
  get balanceSeq(): number {
    return this.maxBalanceSeq;
  }

  /**
   * The rows, sorted by SKU: the same array as last time when nothing changed, else a new one in
   * which only changed items have new row objects.
   */
  rows(): InventoryRow[] {
    if (this.movementsChanged) this.recomputePending();
    if (this.dirty.size === 0 && !this.changed) return this.sorted;
    const dirty = [...this.dirty];
    this.dirty.clear();
    this.changed = false;
    if (dirty.length === 0) return this.sorted;
    // Rebuild the changed rows (on-hand may have moved), then merge them into the sorted rest.
    const fresh: InventoryRow[] = [];
    for (const id of dirty) {
      const r = this.rowsById.get(id);
      if (!r) continue;
      const next = this.withOnHand(r);
      this.rowsById.set(id, next);
      fresh.push(next);
    }
    fresh.sort(compareRows);
    const dirtySet = new Set(dirty);
    const out: InventoryRow[] = new Array<InventoryRow>(this.rowsById.size);
    let n = 0;
    let j = 0;
    for (const r of this.sorted) {
      if (dirtySet.has(r.id)) continue;
      while (j < fresh.length && compareRows(fresh[j] as InventoryRow, r) < 0)
        out[n++] = fresh[j++] as InventoryRow;
      out[n++] = r;
    }
    while (j < fresh.length) out[n++] = fresh[j++] as InventoryRow;
    out.length = n;
    this.sorted = out;
    return out;
  }

  private addBalance(itemId: string, q: number): void {
    this.balanceSum.set(itemId, (this.balanceSum.get(itemId) ?? 0) + q);
    this.dirty.add(itemId);
  }

  private recomputePending(): void {
    this.movementsChanged = false;
    const next = new Map<string, number>();
    for (const m of this.movements.values()) {
      const seq = effectiveSeq(m, this.acks, this.base());
      if (!isUnreflected({ seq }, this.maxBalanceSeq)) {
        // Reflected for good: the highest balance sequence only grows and acks are final.
        this.movements.delete(m.id);
        continue;
      }
      next.set(m.itemId, (next.get(m.itemId) ?? 0) + itemDelta(m));
    }
    for (const [id, q] of next) if (this.pendingByItem.get(id) !== q) this.dirty.add(id);
    for (const id of this.pendingByItem.keys()) if (!next.has(id)) this.dirty.add(id);
    this.pendingByItem = next;
  }

  private row(i: ItemData): InventoryRow {
    const pending = this.pendingByItem.get(i.id);
    return {
      id: i.id,
      sku: i.sku,
      name: i.name,
      barcode: i.barcode,
      uom: i.uom,
      purchasePrice: i.purchasePrice,
      onHand: (this.balanceSum.get(i.id) ?? 0) + (pending ?? 0),
      includesPending: pending !== undefined,
    };
  }

  private withOnHand(r: InventoryRow): InventoryRow {
    const pending = this.pendingByItem.get(r.id);
    const onHand = (this.balanceSum.get(r.id) ?? 0) + (pending ?? 0);
    const includesPending = pending !== undefined;
    if (r.onHand === onHand && r.includesPending === includesPending) return r;
    return { ...r, onHand, includesPending };
  }
}
