import { useMemo } from 'react';
import type { TenantDatabase } from '../../data/database.js';
import { useWorkspace } from '../../data/workspace.js';
import { itemMatches, type ScanLookup, type ScannedItem } from './scan.js';

type ItemLike = {
  id: string;
  sku: string;
  name: string;
  barcode?: string | null;
  barcodes?: string[] | null;
  batchTracked?: boolean;
  expiryTracked?: boolean;
};

type LocationLike = { id: string; barcode?: string | null; name?: string | null };

/** The shape of a location code (shared/domain/floor.ts `LocationCode`). */
const LOCATION_CODE = /^[A-Z0-9][A-Z0-9-]*$/;

const asItem = (i: ItemLike): ScannedItem => ({
  id: i.id,
  sku: i.sku,
  name: i.name,
  batchTracked: i.batchTracked === true,
  expiryTracked: i.expiryTracked === true,
});

/**
 * Scan lookups over the open tenant partition: items by SKU, barcode or any extra barcode;
 * locations from the locations reference data (code or barcode), else any bin the ledger knows;
 * batches the ledger knows. Exact indexed lookups first, then a case-insensitive pass.
 */
export function scanLookup(db: TenantDatabase): ScanLookup {
  return {
    async item(code) {
      const exact =
        (await db.items.findOne({ selector: { sku: code } }).exec()) ??
        (await db.items.findOne({ selector: { barcode: code } }).exec());
      if (exact) return asItem(exact.toJSON() as ItemLike);
      const upper = code.toUpperCase();
      if (upper !== code) {
        const u = await db.items.findOne({ selector: { sku: upper } }).exec();
        if (u) return asItem(u.toJSON() as ItemLike);
      }
      // Extra barcodes (an array field) are not indexed: scan those items that have any.
      if (!('barcodes' in db.items.schema.jsonSchema.properties)) return null;
      const withExtra = await db.items.find({ selector: { barcodes: { $exists: true } } }).exec();
      for (const d of withExtra) {
        const i = d.toJSON() as ItemLike;
        if (itemMatches(i, code)) return asItem(i);
      }
      return null;
    },
    async location(code) {
      const c = code.toLowerCase();
      const all = (await db.locations.find().exec()).map((d) => d.toJSON() as LocationLike);
      if (all.length > 0) {
        const hit = all.find((l) => l.id.toLowerCase() === c || (l.barcode ?? '').toLowerCase() === c);
        return hit ? { locationId: hit.id, ...(hit.name ? { name: hit.name } : {}) } : null;
      }
      // Reference data not here yet (first start offline, or a server without it): bins the
      // ledger knows are certain; any other well-formed code is taken but marked unverified,
      // as the local data API does.
      const upper = code.toUpperCase();
      const b = await db.balances.findOne({ selector: { locationId: upper } }).exec();
      const m = b ?? (await db.movements.findOne({ selector: { toLocationId: upper } }).exec());
      if (m) return { locationId: upper };
      return LOCATION_CODE.test(upper) ? { locationId: upper, unverified: true } : null;
    },
    async batch(code) {
      const b = await db.balances.findOne({ selector: { batch: code } }).exec();
      if (b) return code;
      const m = await db.movements.findOne({ selector: { batch: code } }).exec();
      return m ? code : null;
    },
  };
}

/** The scan lookups of the open partition (null while none is open). */
export function useScanLookup(): ScanLookup | null {
  const db = useWorkspace((s) => s.db);
  return useMemo(() => (db ? scanLookup(db) : null), [db]);
}
