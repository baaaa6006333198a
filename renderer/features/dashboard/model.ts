import type { ReportResult } from '../../../shared/api/reports.js';

/** One bar of a chart. */
export type Bar = { key: string; label: string; value: number };

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Sums a numeric column per value of a key column, largest first (ties by key). */
export function sumBy(result: ReportResult, keyColumn: string, valueColumn: string, top?: number): Bar[] {
  const sums = new Map<string, number>();
  for (const r of result.rows) {
    const k = str(r[keyColumn]);
    if (k === '') continue;
    sums.set(k, (sums.get(k) ?? 0) + num(r[valueColumn]));
  }
  const bars = [...sums]
    .map(([key, value]) => ({ key, label: key, value }))
    .sort((a, b) => b.value - a.value || a.key.localeCompare(b.key));
  return top === undefined ? bars : bars.slice(0, top);
}

/**
 * Movements per day over the last `days` days up to `today` (UTC `YYYY-MM-DD`), oldest first,
 * every day present (zero when nothing moved) so gaps show as gaps.
 */
export function perDay(result: ReportResult, today: string, days: number): Bar[] {
  const sums = new Map<string, number>();
  for (const r of result.rows) {
    const d = str(r.day);
    sums.set(d, (sums.get(d) ?? 0) + num(r.lines));
  }
  const end = Date.parse(`${today}T00:00:00Z`);
  const out: Bar[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const key = new Date(end - i * 86_400_000).toISOString().slice(0, 10);
    out.push({ key, label: key.slice(5), value: sums.get(key) ?? 0 });
  }
  return out;
}

/** Expiry buckets: already expired, this week, next week, within 30 days. */
export const EXPIRY_BUCKETS = ['expired', 'week', 'twoWeeks', 'month'] as const;
export type ExpiryBucket = (typeof EXPIRY_BUCKETS)[number];

export function bucketOf(daysLeft: number): ExpiryBucket {
  if (daysLeft < 0) return 'expired';
  if (daysLeft <= 7) return 'week';
  if (daysLeft <= 14) return 'twoWeeks';
  return 'month';
}

/** Quantity expiring per bucket (rows of `inventory-by-expiry`). */
export function expiryBuckets(result: ReportResult, label: (b: ExpiryBucket) => string): Bar[] {
  const sums = new Map<ExpiryBucket, number>(EXPIRY_BUCKETS.map((b) => [b, 0]));
  for (const r of result.rows) {
    if (typeof r.daysLeft !== 'number') continue;
    const b = bucketOf(r.daysLeft);
    sums.set(b, (sums.get(b) ?? 0) + num(r.onHand));
  }
  return EXPIRY_BUCKETS.map((b) => ({ key: b, label: label(b), value: sums.get(b) ?? 0 }));
}

/** The tenants the dashboard covers: every tenant reportable across tenants, else the active one. */
export function dashboardTenants(
  options: readonly { tenantId: string; crossTenant: boolean }[],
  activeTenant: string | null,
): string[] {
  const cross = options.filter((o) => o.crossTenant).map((o) => o.tenantId);
  if (cross.length > 1) return cross;
  return activeTenant !== null && options.some((o) => o.tenantId === activeTenant) ? [activeTenant] : cross;
}
