import { describe, expect, it } from 'vitest';
import type { Membership, Principal } from '../../../shared/access/policy.js';
import type { SiteLocation } from '../../../shared/api/sites.js';
import { ApiError, NetworkError } from '../../../renderer/data/api.js';
import {
  filterLocations,
  isSiteAdmin,
  locationErrors,
  normalizeLocation,
  siteErrorText,
  warehouseErrors,
} from '../../../renderer/features/sites/model.js';

const now = new Date('2026-11-26T12:00:00Z');
const member = (
  tenantId: string,
  role: Membership['role'],
  validUntil: string | null = null,
): Membership => ({ tenantId, role, validFrom: null, validUntil, policyVersion: 1 });
const principal = (...memberships: Membership[]): Principal => ({ userId: 'u', memberships, now });

const loc = (id: string, over: Partial<SiteLocation> = {}): SiteLocation => ({
  id,
  warehouseId: 'WH1',
  name: `Bin ${id}`,
  barcode: `LOC-${id}`,
  kind: 'storage',
  active: true,
  seq: 1,
  ...over,
});

describe('sites model', () => {
  it('offers site administration to admins of any client, live memberships only', () => {
    expect(isSiteAdmin(null)).toBe(false);
    expect(isSiteAdmin(principal(member('acme', 'operator'), member('globex', 'manager')))).toBe(false);
    expect(isSiteAdmin(principal(member('acme', 'operator'), member('globex', 'admin')))).toBe(true);
    expect(isSiteAdmin(principal(member('acme', 'admin', '2026-11-26T11:00:00Z')))).toBe(false);
  });

  it('normalizes a typed location like a scanner sends it, and defaults the barcode to the label convention', () => {
    const f = normalizeLocation({
      id: ' b-01 ',
      warehouseId: 'WH1',
      name: ' Bay ',
      barcode: '',
      kind: 'storage',
    });
    expect(f).toEqual({ id: 'B-01', warehouseId: 'WH1', name: 'Bay', barcode: 'LOC-B-01', kind: 'storage' });
    expect(normalizeLocation({ ...f, barcode: ' X1 ' }).barcode).toBe('X1');
  });

  it('reports field problems with the shared schema', () => {
    const ok = { id: 'B-01', warehouseId: 'WH1', name: 'Bay', barcode: '', kind: 'storage' } as const;
    expect(locationErrors(ok)).toEqual({});
    expect(locationErrors({ ...ok, id: '' })).toMatchObject({ id: { key: 'required' } });
    expect(locationErrors({ ...ok, id: 'B 01' })).toMatchObject({ id: { key: 'badCode' } });
    expect(locationErrors({ ...ok, name: '  ' })).toMatchObject({ name: { key: 'required' } });
    expect(locationErrors({ ...ok, barcode: 'has space' })).toMatchObject({ barcode: { key: 'badBarcode' } });
    expect(warehouseErrors({ id: 'wh-2', name: 'Annex' })).toEqual({});
    expect(warehouseErrors({ id: 'WH 2', name: '' })).toMatchObject({
      id: { key: 'badCode' },
      name: { key: 'required' },
    });
  });

  it('filters by text (code, name or barcode), warehouse and status', () => {
    const all = [
      loc('A-01'),
      loc('A-02', { active: false }),
      loc('B-01', { warehouseId: 'WH2', barcode: 'XY-9' }),
    ];
    const ids = (f: Parameters<typeof filterLocations>[1]) => filterLocations(all, f).map((l) => l.id);
    expect(ids({ q: '', warehouseId: '', showInactive: false })).toEqual(['A-01', 'B-01']);
    expect(ids({ q: '', warehouseId: '', showInactive: true })).toEqual(['A-01', 'A-02', 'B-01']);
    expect(ids({ q: 'xy-', warehouseId: '', showInactive: false })).toEqual(['B-01']);
    expect(ids({ q: 'bin a', warehouseId: '', showInactive: true })).toEqual(['A-01', 'A-02']);
    expect(ids({ q: '', warehouseId: 'WH2', showInactive: false })).toEqual(['B-01']);
  });

  it('turns refusals into sentences: offline, stock held, in use, duplicates, forbidden', () => {
    const t = (key: string, o?: Record<string, unknown>) => `${key}${o ? ` ${JSON.stringify(o)}` : ''}`;
    expect(siteErrorText(new NetworkError('down'), t, 'A')).toBe('sites.errors.offline');
    expect(siteErrorText(new ApiError(409, 'location_holds_stock', 'm'), t, 'A-01')).toBe(
      'sites.errors.holdsStock {"code":"A-01"}',
    );
    expect(siteErrorText(new ApiError(409, 'warehouse_in_use', 'm'), t, 'WH1')).toBe(
      'sites.errors.inUse {"code":"WH1"}',
    );
    expect(siteErrorText(new ApiError(409, 'duplicate_barcode', 'taken by X'), t, 'A')).toBe(
      'sites.errors.duplicate {"message":"taken by X"}',
    );
    expect(siteErrorText(new ApiError(403, 'forbidden', 'no'), t, 'A')).toBe(
      'sites.errors.forbidden {"message":"no"}',
    );
  });
});
