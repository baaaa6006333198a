import { z } from 'zod';

/** Reports the server can produce (issue 5 adds more). */
export const ReportName = z.enum(['inventory']);
export type ReportName = z.infer<typeof ReportName>;

/** A report column; `field` is the policy field it shows (absent columns were not readable). */
export type ReportColumn = { key: string; field: string | null; label: string; type: 'string' | 'number' };

/**
 * Answer of `GET /api/t/:tenant/reports/:report` and `GET /api/reports/:report?tenants=a,b`.
 * Rows carry only columns the caller may read in that row's tenant; `tenantColumn` says whether
 * the tenant column is shown (per the tenants' settings).
 */
export type ReportResult = {
  report: ReportName;
  tenants: string[];
  tenantColumn: boolean;
  columns: ReportColumn[];
  rows: Record<string, string | number | null>[];
};

/** Query of the cross-tenant report. */
export const CrossTenantQuery = z
  .object({ tenants: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}(,[a-z0-9][a-z0-9-]{1,31}){0,49}$/) })
  .strict();

/** Query of an export. */
export const ExportQuery = z.object({ format: z.enum(['csv']).default('csv') }).strict();
