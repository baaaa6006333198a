import { authorizedTenants, can, canRead, type Principal } from '../../../shared/access/policy.js';
import type {
  ExportFormat,
  ReportColumn,
  ReportFilters,
  ReportName,
  ReportResult,
} from '../../../shared/api/reports.js';
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

/** Filters a report's form offers. */
export type FilterKind = 'range' | 'type' | 'sku' | 'days';

/** The report catalogue the screen offers, in menu order. */
export const REPORT_MENU: readonly { name: ReportName; filters: readonly FilterKind[]; group: string }[] = [
  { name: 'inventory', filters: ['sku'], group: 'stock' },
  { name: 'inventory-by-location', filters: ['sku'], group: 'stock' },
  { name: 'inventory-by-batch', filters: ['sku'], group: 'stock' },
  { name: 'inventory-by-expiry', filters: ['days', 'sku'], group: 'stock' },
  { name: 'stock-by-location', filters: [], group: 'stock' },
  { name: 'movements', filters: ['range', 'type', 'sku'], group: 'ledger' },
  { name: 'movements-daily', filters: ['range'], group: 'ledger' },
  { name: 'receiving', filters: ['range'], group: 'ledger' },
  { name: 'shipping', filters: ['range'], group: 'ledger' },
  { name: 'valuation', filters: ['sku'], group: 'finance' },
];

/**
 * Reports the principal may run over `selected`: valuation only where it reads purchase prices in
 * every selected tenant (the server refuses it otherwise; the menu does not offer it).
 */
export function availableReports(p: Principal | null, selected: readonly string[]): ReportName[] {
  return REPORT_MENU.map((r) => r.name).filter(
    (r) =>
      r !== 'valuation' ||
      (p !== null &&
        selected.length > 0 &&
        selected.every(
          (t) => canRead(p, t, 'items', 'purchasePrice') && canRead(p, t, 'balances', 'quantity'),
        )),
  );
}

/** The filters that `report` uses, without empty values, as query parameters. */
export function filterParams(report: ReportName, filters: ReportFilters): URLSearchParams {
  const kinds = REPORT_MENU.find((r) => r.name === report)?.filters ?? [];
  const q = new URLSearchParams();
  if (kinds.includes('range')) {
    if (filters.from) q.set('from', filters.from);
    if (filters.to) q.set('to', filters.to);
  }
  if (kinds.includes('type') && filters.type) q.set('type', filters.type);
  if (kinds.includes('sku') && filters.sku?.trim()) q.set('sku', filters.sku.trim());
  if (kinds.includes('days') && filters.days !== undefined) q.set('days', String(filters.days));
  return q;
}

const withQuery = (path: string, q: URLSearchParams) => {
  const s = q.toString();
  return s === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${s}`;
};

/** The API path of a report over the selection: per tenant for one, cross-tenant for several. */
export function reportPath(
  report: ReportName,
  selected: readonly string[],
  filters: ReportFilters = {},
): string | null {
  if (selected.length === 0) return null;
  const q = filterParams(report, filters);
  if (selected.length === 1)
    return withQuery(`/api/t/${encodeURIComponent(selected[0] ?? '')}/reports/${report}`, q);
  return withQuery(`/api/reports/${report}?tenants=${selected.map(encodeURIComponent).join(',')}`, q);
}

/** The path of an export of exactly what the report shows (one tenant, or several at once). */
export function exportPath(
  report: ReportName,
  tenants: string | readonly string[],
  format: ExportFormat = 'csv',
  filters: ReportFilters = {},
): string {
  const list = typeof tenants === 'string' ? [tenants] : tenants;
  const q = filterParams(report, filters);
  const base =
    list.length === 1
      ? `/api/t/${encodeURIComponent(list[0] ?? '')}/export/${report}?format=${format}`
      : `/api/export/${report}?tenants=${list.map(encodeURIComponent).join(',')}&format=${format}`;
  return withQuery(base, q);
}

/** Whether export works for the selected tenants, and if not, why (an i18n key). */
export function exportAvailability(
  p: Principal | null,
  tenants: string | readonly string[] | null,
): { enabled: true } | { enabled: false; reason: string } {
  const list = tenants === null ? [] : typeof tenants === 'string' ? [tenants] : tenants;
  if (p === null || list.length === 0) return { enabled: false, reason: 'reports.export.noTenant' };
  if (!list.every((t) => can(p, t, 'export'))) return { enabled: false, reason: 'reports.export.notAllowed' };
  if (list.length > 1 && !list.every((t) => can(p, t, 'report:cross-tenant')))
    return { enabled: false, reason: 'reports.export.notAllowed' };
  return { enabled: true };
}

/** Download progress as a whole percentage, or null when the size is unknown. */
export function progressPercent(received: number, total: number | null): number | null {
  if (total === null || total <= 0) return null;
  return Math.min(100, Math.floor((received / total) * 100));
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
  format: ExportFormat = 'csv',
): string {
  if (serverName) return serverName;
  return `${report}-${tenantId}-${now.toISOString().slice(0, 10)}.${format}`;
}
