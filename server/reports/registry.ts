import type { Transaction } from 'kysely';
import type { Role } from '../../shared/access/policy.js';
import type { ReportFilters, ReportName, ReportResult } from '../../shared/api/reports.js';
import { LEDGER_REPORTS } from '../../shared/api/reports.js';
import type { UserScope } from '../db/scope.js';
import type { DB } from '../db/types.js';
import type { AnyReportDef } from './define.js';
import { projectReport, readsAll } from './define.js';
import { inventoryReport } from './inventory.js';
import {
  ledgerRange,
  movementsDailyReport,
  movementsReport,
  receivingReport,
  shippingReport,
} from './movements.js';
import {
  byBatchReport,
  byExpiryReport,
  byLocationReport,
  stockByLocationReport,
  valuationReport,
} from './stock.js';

/** Every report by name. */
export const REPORTS: Record<ReportName, AnyReportDef> = {
  inventory: inventoryReport,
  'inventory-by-location': byLocationReport,
  'inventory-by-batch': byBatchReport,
  'inventory-by-expiry': byExpiryReport,
  'stock-by-location': stockByLocationReport,
  movements: movementsReport,
  'movements-daily': movementsDailyReport,
  receiving: receivingReport,
  shipping: shippingReport,
  valuation: valuationReport,
};

/** Why a caller may not run a report at all, or null. Tenants are never named (no oracle). */
export function refusal(report: ReportName, scope: UserScope, tenants: readonly string[]): string | null {
  const def = REPORTS[report];
  if (!def.requires) return null;
  const ok = tenants.every((t) => readsAll(scope.roles.get(t)?.role, def.requires ?? [], scope.policies[t]));
  return ok ? null : 'your role may not read purchase prices, so it may not run the valuation';
}

/** The filters a report applies, normalised (ledger reports get their effective date range). */
export function effectiveFilters(report: ReportName, filters: ReportFilters, at: Date): ReportFilters {
  const out: ReportFilters = { ...filters };
  if (LEDGER_REPORTS.includes(report)) Object.assign(out, ledgerRange(filters, at));
  else {
    delete out.from;
    delete out.to;
  }
  if (report === 'inventory-by-expiry') out.days = filters.days ?? 30;
  else delete out.days;
  if (report !== 'movements') delete out.type;
  return out;
}

/**
 * Runs a report for `tenants` inside a user scope, after the caller checked rights: loads at most
 * `cap` rows (flagging truncation) and projects every cell with the row tenant's policy. `counts`
 * are the rows per tenant (for the export's audit entries; the result may hide the tenant column).
 */
export async function runReport(
  tx: Transaction<DB>,
  scope: UserScope,
  report: ReportName,
  tenants: string[],
  filters: ReportFilters,
  cap: number,
): Promise<{ result: ReportResult; counts: Record<string, number> }> {
  const def = REPORTS[report];
  const roles = new Map<string, Role>();
  for (const t of tenants) {
    const r = scope.roles.get(t);
    if (r) roles.set(t, r.role);
  }
  const applied = effectiveFilters(report, filters, scope.at);
  const lines = (await def.load(tx, {
    tenantIds: tenants,
    filters: applied,
    limit: cap + 1,
    at: scope.at,
  })) as { tenantId: string }[];
  const truncated = lines.length > cap;
  const kept = truncated ? lines.slice(0, cap) : lines;
  const counts: Record<string, number> = Object.fromEntries(tenants.map((t) => [t, 0]));
  for (const l of kept) if (l.tenantId in counts) counts[l.tenantId] = (counts[l.tenantId] ?? 0) + 1;
  const result = projectReport(def, kept, tenants, roles, scope.policies);
  return { result: { ...result, filters: applied, ...(truncated ? { truncated: true } : {}) }, counts };
}
