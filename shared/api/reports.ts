import { z } from 'zod';

/**
 * Reports the server can produce. `valuation` needs purchase-price read rights in every tenant it
 * covers; the others project each cell with the field policy of the row's tenant.
 */
export const ReportName = z.enum([
  'inventory',
  'inventory-by-location',
  'inventory-by-batch',
  'inventory-by-expiry',
  'stock-by-location',
  'movements',
  'movements-daily',
  'receiving',
  'shipping',
  'valuation',
]);
export type ReportName = z.infer<typeof ReportName>;

/** Reports that read the movement ledger (they take a date range). */
export const LEDGER_REPORTS: readonly ReportName[] = [
  'movements',
  'movements-daily',
  'receiving',
  'shipping',
];

/** A report column; `field` is the policy field it shows (absent columns were not readable). */
export type ReportColumn = { key: string; field: string | null; label: string; type: 'string' | 'number' };

/**
 * Answer of `GET /api/t/:tenant/reports/:report` and `GET /api/reports/:report?tenants=a,b`.
 * Rows carry only columns the caller may read in that row's tenant; `tenantColumn` says whether
 * the tenant column is shown (per the tenants' settings). `truncated` is set when the row cap
 * cut the result (narrow the filters, or export).
 */
export type ReportResult = {
  report: ReportName;
  tenants: string[];
  tenantColumn: boolean;
  columns: ReportColumn[];
  rows: Record<string, string | number | null>[];
  truncated?: boolean;
  /** The filters the server applied (echoed, normalised). */
  filters?: ReportFilters;
};

const IsoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** Filters a report takes from the query string (each report ignores those it has no use for). */
export const ReportFilters = z.object({
  /** First day (UTC, inclusive) of ledger reports. */
  from: IsoDay.optional(),
  /** Last day (UTC, inclusive) of ledger reports. */
  to: IsoDay.optional(),
  /** Movement type of the movement history. */
  type: z.enum(['receipt', 'putaway', 'transfer', 'pick', 'ship', 'adjustment', 'count']).optional(),
  /** SKU (exact) of the movement history and the stock reports. */
  sku: z.string().min(1).max(64).optional(),
  /** Expiry horizon in days of `inventory-by-expiry` (default 30). */
  days: z.coerce.number().int().min(0).max(3650).optional(),
});
export type ReportFilters = z.infer<typeof ReportFilters>;

const TENANT_LIST = /^[a-z0-9][a-z0-9-]{1,31}(,[a-z0-9][a-z0-9-]{1,31}){0,49}$/;

/** Query of the one-tenant report. */
export const TenantReportQuery = ReportFilters.strict();

/** Query of the cross-tenant report. */
export const CrossTenantQuery = ReportFilters.extend({ tenants: z.string().regex(TENANT_LIST) }).strict();

/** Export file formats. */
export const ExportFormat = z.enum(['csv', 'xlsx']);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** Query of a one-tenant export. */
export const ExportQuery = ReportFilters.extend({ format: ExportFormat.default('csv') }).strict();

/** Query of a cross-tenant export (`GET /api/export/:report?tenants=a,b&format=…`). */
export const CrossTenantExportQuery = ExportQuery.extend({ tenants: z.string().regex(TENANT_LIST) }).strict();

/** Rows a report answer carries at most (exports go further, up to `EXPORT_ROW_CAP`). */
export const REPORT_ROW_CAP = 5000;
/** Rows an export carries at most. */
export const EXPORT_ROW_CAP = 200_000;
