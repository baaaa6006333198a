import { authorizedTenants, can, type Principal } from '../../../shared/access/policy.js';
import type { ReportColumn, ReportName, ReportResult } from '../../../shared/api/reports.js';
import { ApiError, NetworkError } from '../../data/api.js';

/** A tenant the report picker offers; `crossTenant` = may be combined with others. */
export type ReportTenantOption = { tenantId: string; crossTenant: boolean };

/**
 * Tenants the picker offers: every current tenant allowing `report:cross-tenant`; the active
 * tenant too when it allows only `report:read` (it can then be reported on alone).
 */
export function reportTenantOptions(p: Principal, activeTenant: string | null): ReportTenantOption[] {
  const cross = authorizedTenants(p).filter((t) => can(p, t, 'report:cross-tenant'));
  const options = cross.map((tenantId) => ({ tenantId, crossTenant: true }));
  if (activeTenant !== null && !cross.includes(activeTenant) && can(p, activeTenant, 'report:read')) {
    options.unshift({ tenantId: activeTenant, crossTenant: false });
  }
  return options;
}

/** Initial selection: the active tenant when offered, else the first option. */
export function defaultSelection(
  options: readonly ReportTenantOption[],
  activeTenant: string | null,
): string[] {
  const active = options.find((o) => o.tenantId === activeTenant);
  const first = active ?? options[0];
  return first ? [first.tenantId] : [];
}

/** Toggle a tenant; a tenant without cross-tenant rights is only ever selected alone. */
export function toggleTenant(
  options: readonly ReportTenantOption[],
  selected: readonly string[],
  tenantId: string,
): string[] {
  const option = options.find((o) => o.tenantId === tenantId);
  if (!option) return [...selected];
  if (selected.includes(tenantId)) return selected.filter((t) => t !== tenantId);
  if (!option.crossTenant) return [tenantId];
  const keep = selected.filter((t) => options.find((o) => o.tenantId === t)?.crossTenant === true);
  // Keep the picker's order so the request (and its cache key) does not depend on click order.
  return options.map((o) => o.tenantId).filter((t) => t === tenantId || keep.includes(t));
}

/** The API path of a report over the selection: per tenant for one, cross-tenant for several. */
export function reportPath(report: ReportName, selected: readonly string[]): string | null {
  if (selected.length === 0) return null;
  if (selected.length === 1) return `/api/t/${encodeURIComponent(selected[0] ?? '')}/reports/${report}`;
  return `/api/reports/${report}?tenants=${selected.map(encodeURIComponent).join(',')}`;
}

/** The path of a tenant's CSV export. */
export function exportPath(report: ReportName, tenantId: string): string {
  return `/api/t/${encodeURIComponent(tenantId)}/export/${report}?format=csv`;
}

/** Whether the export button works for the active tenant, and if not, why (an i18n key). */
export function exportAvailability(
  p: Principal | null,
  activeTenant: string | null,
): { enabled: true } | { enabled: false; reason: string } {
  if (p === null || activeTenant === null) return { enabled: false, reason: 'reports.export.noTenant' };
  if (!can(p, activeTenant, 'export')) return { enabled: false, reason: 'reports.export.notAllowed' };
  return { enabled: true };
}

const TENANT_KEYS = new Set(['tenantId', 'tenant']);
/** Whether a column is the tenant column. */
export const isTenantColumn = (c: ReportColumn) => TENANT_KEYS.has(c.key);

/**
 * Columns to render: exactly those the server returned, the tenant column first and only when
 * `tenantColumn` says so (if the server flagged it without listing it, it is `tenantId`).
 */
export function displayColumns(result: ReportResult): ReportColumn[] {
  const rest = result.columns.filter((c) => !isTenantColumn(c));
  if (!result.tenantColumn) return rest;
  const tenant = result.columns.find(isTenantColumn) ?? {
    key: 'tenantId',
    field: 'tenantId',
    label: 'Tenant',
    type: 'string' as const,
  };
  return [tenant, ...rest];
}

/** Rows whose shown text contains the query (case-insensitive; numbers as typed digits). */
export function filterReportRows(
  rows: ReportResult['rows'],
  columns: readonly ReportColumn[],
  query: string,
): ReportResult['rows'] {
  const q = query.trim().toLowerCase();
  if (q === '') return [...rows];
  return rows.filter((r) =>
    columns.some((c) => {
      const v = r[c.key];
      return v !== null && v !== undefined && String(v).toLowerCase().includes(q);
    }),
  );
}

/** A cell as text: numbers by the UI language's conventions, null as empty. */
export function formatCell(
  value: string | number | null | undefined,
  column: ReportColumn,
  locale: string,
): string {
  if (value === null || value === undefined) return '';
  if (column.type === 'number' && typeof value === 'number') {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
  }
  return String(value);
}

/** How a failed report or export reads on screen. */
export type ReportError =
  { kind: 'offline' } | { kind: 'forbidden'; message: string } | { kind: 'other'; message: string };

export function reportError(e: unknown): ReportError {
  if (e instanceof NetworkError) return { kind: 'offline' };
  if (e instanceof ApiError) {
    return e.status === 403
      ? { kind: 'forbidden', message: e.message }
      : { kind: 'other', message: e.message };
  }
  return { kind: 'other', message: e instanceof Error ? e.message : String(e) };
}

/** A file name for a download when the server sent none. */
export function exportFileName(
  report: ReportName,
  tenantId: string,
  serverName: string | null,
  now: Date,
): string {
  if (serverName) return serverName;
  return `${report}-${tenantId}-${now.toISOString().slice(0, 10)}.csv`;
}
