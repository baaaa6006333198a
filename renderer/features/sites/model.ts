import type { z } from 'zod';
import { activeMemberships, type Principal } from '../../../shared/access/policy.js';
import {
  LocationCreateBody,
  maySiteAdmin,
  WarehouseCreateBody,
  type SiteLocation,
  type SiteWarehouse,
} from '../../../shared/api/sites.js';
import type { LocationKind } from '../../../shared/domain/floor.js';
import { ApiError, NetworkError } from '../../data/api.js';

/** Does the UI offer site administration? (The server decides; this only mirrors its rule.) */
export const isSiteAdmin = (p: Principal | null): boolean =>
  p !== null && maySiteAdmin(activeMemberships(p).map((m) => m.role));

/** The location form as typed. */
export type LocationForm = {
  id: string;
  warehouseId: string;
  name: string;
  barcode: string;
  kind: LocationKind;
};

/** The warehouse form as typed. */
export type WarehouseForm = { id: string; name: string };

/** A field's problem, as a key of `sites.form` (with its options). */
export type FieldProblem = { key: string; opts?: Record<string, unknown> };

export type FormErrors<F> = Partial<Record<keyof F, FieldProblem>>;

const problemOf = (field: string, issue: z.core.$ZodIssue): FieldProblem => {
  if (issue.code === 'too_small') return { key: 'required' };
  if (field === 'id') return { key: 'badCode', opts: { max: issue.code === 'too_big' ? issue.maximum : 64 } };
  if (field === 'barcode') return { key: 'badBarcode' };
  if (issue.code === 'too_big') return { key: 'tooLong' };
  return { key: 'required' };
};

function fieldErrors<F>(schema: z.ZodType, value: F): FormErrors<F> {
  const r = schema.safeParse(value);
  if (r.success) return {};
  const out: FormErrors<F> = {};
  for (const issue of r.error.issues) {
    const field = String(issue.path[0] ?? '') as keyof F & string;
    if (!(field in out)) out[field] = problemOf(field, issue);
  }
  return out;
}

/** The new/edited location as the server expects it, with the code upper-cased as scanners send it. */
export const normalizeLocation = (f: LocationForm): LocationForm => ({
  ...f,
  id: f.id.trim().toUpperCase(),
  name: f.name.trim(),
  barcode: f.barcode.trim() === '' ? defaultBarcode(f.id) : f.barcode.trim(),
});

/** Field errors of the location form (the same schema the server parses). */
export const locationErrors = (f: LocationForm): FormErrors<LocationForm> =>
  fieldErrors(LocationCreateBody, normalizeLocation(f));

export const normalizeWarehouse = (f: WarehouseForm): WarehouseForm => ({
  id: f.id.trim().toUpperCase(),
  name: f.name.trim(),
});

/** Field errors of the warehouse form. */
export const warehouseErrors = (f: WarehouseForm): FormErrors<WarehouseForm> =>
  fieldErrors(WarehouseCreateBody, normalizeWarehouse(f));

/** An empty location form; the barcode follows the site's label convention `LOC-<code>` until edited. */
export const emptyLocation = (warehouseId: string): LocationForm => ({
  id: '',
  warehouseId,
  name: '',
  barcode: '',
  kind: 'storage',
});

export const locationForm = (l: SiteLocation): LocationForm => ({
  id: l.id,
  warehouseId: l.warehouseId,
  name: l.name,
  barcode: l.barcode,
  kind: l.kind,
});

/** The barcode a new location gets when the field is left empty (what the demo labels print). */
export const defaultBarcode = (code: string): string =>
  code.trim() === '' ? '' : `LOC-${code.trim().toUpperCase()}`;

/** Locations matching the filter, in code order. */
export function filterLocations(
  all: readonly SiteLocation[],
  f: { q: string; warehouseId: string; showInactive: boolean },
): SiteLocation[] {
  const q = f.q.trim().toLowerCase();
  return all.filter(
    (l) =>
      (f.showInactive || l.active) &&
      (f.warehouseId === '' || l.warehouseId === f.warehouseId) &&
      (q === '' ||
        l.id.toLowerCase().includes(q) ||
        l.name.toLowerCase().includes(q) ||
        l.barcode.toLowerCase().includes(q)),
  );
}

/** Active warehouses first, for the location form's choice. */
export const activeWarehouses = (ws: readonly SiteWarehouse[]): SiteWarehouse[] => ws.filter((w) => w.active);

type Translate = (key: string, opts?: Record<string, unknown>) => string;

/** A failed call in the UI language: the refusals a site admin meets get their own sentence. */
export function siteErrorText(e: unknown, t: Translate, code: string): string {
  if (e instanceof NetworkError) return t('sites.errors.offline');
  if (e instanceof ApiError) {
    if (e.status === 403) return t('sites.errors.forbidden', { message: e.message });
    if (e.code === 'location_holds_stock') return t('sites.errors.holdsStock', { code });
    if (e.code === 'warehouse_in_use') return t('sites.errors.inUse', { code });
    if (e.status === 409) return t('sites.errors.duplicate', { message: e.message });
    return t('sites.errors.generic', { message: e.message });
  }
  return t('sites.errors.generic', { message: e instanceof Error ? e.message : String(e) });
}
