/*
 * Pure helpers of the floor screens (the domain rules themselves live in shared/domain/floor.ts).
 */

/** Receiving/staging bins: where goods wait before put-away (by location kind, else by code). */
export function isStagingLocation(locationId: string, kind?: string | null): boolean {
  if (kind) return kind === 'receiving' || kind === 'staging';
  return /^(RCV|STG|DOCK|IN)[-_]/i.test(locationId);
}

/** A row of a count sheet: what the PC expects, and what was typed (raw text). */
export type CountSheetRow = {
  key: string;
  itemId: string;
  locationId: string;
  batch: string | null;
  expected: number;
  typed: string;
};

/** Key of a count row. */
export const countKey = (r: { itemId: string; locationId: string; batch: string | null }): string =>
  `${r.itemId}|${r.locationId}|${r.batch ?? ''}`;

/**
 * The counted lines of a sheet, once every row has a valid count (a whole bin or item is counted
 * or nothing is posted): `missing` lists rows still blank, `invalid` rows with a bad number.
 */
export function readCountSheet(rows: readonly CountSheetRow[]): {
  lines: { itemId: string; locationId: string; batch: string | null; quantity: number }[];
  missing: string[];
  invalid: string[];
} {
  const lines: { itemId: string; locationId: string; batch: string | null; quantity: number }[] = [];
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const r of rows) {
    const t = r.typed.trim().replace(',', '.');
    if (t === '') {
      missing.push(r.key);
      continue;
    }
    const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
    if (!Number.isFinite(n) || n < 0 || n > 1e9) invalid.push(r.key);
    else lines.push({ itemId: r.itemId, locationId: r.locationId, batch: r.batch, quantity: n });
  }
  return { lines, missing, invalid };
}

/** Sort rows by a column, ascending or descending; nulls last either way. */
export function sortRows<T>(
  rows: readonly T[],
  by: (r: T) => string | number | null,
  dir: 'asc' | 'desc',
): T[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = by(a);
    const y = by(b);
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (
      (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * sign
    );
  });
}
