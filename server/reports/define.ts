import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Entity, Role, TenantPolicy } from '../../shared/access/policy.js';
import { roleCanRead, showTenantColumn } from '../../shared/access/policy.js';
import type { ReportColumn, ReportFilters, ReportName, ReportResult } from '../../shared/api/reports.js';
import type { DB } from '../db/types.js';

/** Every raw report line carries its tenant: projection reads the role of THAT tenant. */
export type Line = { tenantId: string };

/** A column with the policy fields it shows (all must be readable) and how to get its value. */
export type ColumnDef<L> = ReportColumn & {
  needs: [Entity, string][];
  get: (l: L) => string | number | null;
};

/**
 * A column showing the policy field `entity.field`: its `field` is `entity.field` and it needs that
 * field readable, or every field of `needs` when its value is computed from several.
 */
export function column<L>(
  key: string,
  [entity, field]: [Entity, string],
  label: string,
  type: ReportColumn['type'],
  get: (l: L) => string | number | null,
  needs: [Entity, string][] = [[entity, field]],
): ColumnDef<L> {
  return { key, field: `${entity}.${field}`, label, type, needs, get };
}

/** What a report's query receives. */
export type LoadArgs = {
  tenantIds: readonly string[];
  filters: ReportFilters;
  /** Rows to fetch at most (one more than the caller keeps, to detect truncation). */
  limit: number;
  /** The request's instant (expiry horizons are relative to it). */
  at: Date;
};

/**
 * One report: its columns, its query, and the fields a caller must read in EVERY tenant before the
 * query may even run (`requires`, e.g. purchase price for valuation: refused, not projected away).
 */
export type ReportDef<L extends Line> = {
  name: ReportName;
  columns: ColumnDef<L>[];
  requires?: [Entity, string][];
  load: (tx: Kysely<DB>, args: LoadArgs) => Promise<L[]>;
};

/** A report definition with its line type erased (the registry holds several). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyReportDef = ReportDef<any>;

export const TENANT_COLUMN: ReportColumn = { key: 'tenantId', field: null, label: 'Tenant', type: 'string' };

/** Whether `role` may read every field of `needs` under the tenant's overrides. */
export function readsAll(role: Role | undefined, needs: [Entity, string][], policy?: TenantPolicy): boolean {
  return role !== undefined && needs.every(([e, f]) => roleCanRead(role, e, f, policy?.overrides));
}

/**
 * Projects raw lines with the shared policy: each row with the role and overrides of ITS tenant;
 * a cell the caller may not read in that tenant is absent (never the value, never a mask). A
 * column appears when it is readable in at least one of the tenants. Lines of tenants outside
 * `tenants` are dropped (defence in depth: the query already filtered, RLS too).
 */
export function projectReport<L extends Line>(
  def: Pick<ReportDef<L>, 'name' | 'columns'>,
  lines: readonly L[],
  tenants: readonly string[],
  roles: ReadonlyMap<string, Role>,
  policies: Readonly<Record<string, TenantPolicy>>,
): ReportResult {
  const readable = (c: ColumnDef<L>, tenant: string) =>
    readsAll(roles.get(tenant), c.needs, policies[tenant]);
  const cols = def.columns.filter((c) => tenants.some((t) => readable(c, t)));
  const tenantColumn = showTenantColumn(tenants, policies);
  const allowed = new Set(tenants);
  const rows = lines
    .filter((l) => allowed.has(l.tenantId))
    .map((l) => {
      const row: Record<string, string | number | null> = {};
      if (tenantColumn) row.tenantId = l.tenantId;
      for (const c of cols) if (readable(c, l.tenantId)) row[c.key] = c.get(l);
      return row;
    });
  const strip = ({ key, field, label, type }: ColumnDef<L>): ReportColumn => ({ key, field, label, type });
  return {
    report: def.name,
    tenants: [...tenants],
    tenantColumn,
    columns: [...(tenantColumn ? [TENANT_COLUMN] : []), ...cols.map(strip)],
    rows,
  };
}

/**
 * `tenant_id = ANY(…)` on a table alias: the explicit filter next to RLS (I1). One tenant is
 * `tenant_id = $1`: the planner then reads an index on (tenant_id, …) in order and stops at the
 * row limit, where `= ANY($1)` (an array of unknown length) makes it sort the whole range first.
 */
export const tenantIn = (alias: string, ids: readonly string[]) =>
  ids.length === 1
    ? sql<boolean>`${sql.ref(`${alias}.tenant_id`)} = ${ids[0]}`
    : sql<boolean>`${sql.ref(`${alias}.tenant_id`)} = ANY(${[...ids]}::text[])`;

/**
 * Whether a column exists (columns the floor workflows add — balance and movement expiry, movement
 * reference — are read once the migration that adds them has run).
 */
export async function hasColumn(tx: Kysely<DB>, table: string, column: string): Promise<boolean> {
  const r = await sql<{ n: number | string }>`
    SELECT count(*) AS n FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table} AND column_name = ${column}`.execute(tx);
  return Number(r.rows[0]?.n ?? 0) > 0;
}

/** A date or timestamp as `YYYY-MM-DD` (UTC), or null. */
export function isoDay(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v !== 'string') return null;
  const s = v;
  return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : new Date(s).toISOString().slice(0, 10);
}

/** A timestamp as an ISO string. */
export function isoTime(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(typeof v === 'string' ? v : Number(v)).toISOString();
}

/** Whole days from `at` (UTC day) to `day` (`YYYY-MM-DD`); negative when already past. */
export function daysUntil(day: string, at: Date): number {
  const today = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return Math.round((Date.parse(`${day}T00:00:00Z`) - today) / 86_400_000);
}
