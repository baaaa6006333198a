import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_SETTINGS, type Principal, type Role } from '../../../shared/access/policy.js';
import {
  checkFloorDraft,
  floorDraftPatch,
  floorFieldModes,
  splitBarcodes,
  toFloorDraft,
} from '../../../renderer/features/items/floor-fields.js';
import { stockRows } from '../../../renderer/features/floor/stock-hooks.js';

const principal = (role: Role, overrides = {}): Principal => ({
  userId: 'u',
  now: new Date(),
  memberships: [{ tenantId: 'acme', role, validFrom: null, validUntil: null, policyVersion: 1 }],
  policies: {
    acme: {
      version: 1,
      overrides,
      settings: { ...DEFAULT_TENANT_SETTINGS, tenantColumn: 'auto', wipeOnLogout: false },
    },
  },
});

describe('item editor: floor fields', () => {
  it('modes come from the shared policy: operators read, managers edit, overrides tighten', () => {
    expect(Object.values(floorFieldModes(principal('operator'), 'acme'))).toEqual(Array(8).fill('readonly'));
    expect(floorFieldModes(principal('manager'), 'acme').batchTracked).toBe('editable');
    expect(
      floorFieldModes(principal('manager', { items: { minStock: { manager: 'r' } } }), 'acme').minStock,
    ).toBe('readonly');
    expect(floorFieldModes(principal('admin'), 'globex').weightKg).toBe('hidden');
  });
  it('drafts round-trip and the patch holds only changed editable fields in stored types', () => {
    const original = toFloorDraft({ barcodes: ['A1', 'B2'], weightKg: 1.5, batchTracked: false });
    expect(original).toMatchObject({
      barcodes: 'A1, B2',
      weightKg: '1.5',
      lengthCm: '',
      batchTracked: false,
    });
    const modes = floorFieldModes(principal('manager'), 'acme');
    const patch = floorDraftPatch(
      original,
      { ...original, barcodes: 'A1; C3 C3', weightKg: '2,25', minStock: '10', batchTracked: true },
      modes,
    );
    expect(patch).toEqual({ barcodes: ['A1', 'C3'], weightKg: 2.25, minStock: 10, batchTracked: true });
    // Only reordering whitespace is no change; a cleared number is null.
    expect(floorDraftPatch(original, { ...original, barcodes: 'A1,B2' }, modes)).toEqual({});
    expect(floorDraftPatch(original, { ...original, weightKg: '' }, modes)).toEqual({ weightKg: null });
    // Read-only fields never enter the patch.
    expect(
      floorDraftPatch(
        original,
        { ...original, batchTracked: true },
        floorFieldModes(principal('operator'), 'acme'),
      ),
    ).toEqual({});
  });
  it('refuses bad numbers and too many or too long barcodes', () => {
    const modes = floorFieldModes(principal('admin'), 'acme');
    const d = toFloorDraft({});
    expect(checkFloorDraft({ ...d, weightKg: '-1', lengthCm: 'x', minStock: '1e99' }, modes)).toEqual({
      weightKg: 'items.errMeasure',
      lengthCm: 'items.errMeasure',
      minStock: 'items.errMinStock',
    });
    expect(
      checkFloorDraft({ ...d, barcodes: Array.from({ length: 21 }, (_, i) => `B${i}`).join(',') }, modes),
    ).toEqual({ barcodes: 'items.errBarcodes' });
    expect(checkFloorDraft({ ...d, barcodes: 'Z'.repeat(65) }, modes)).toEqual({
      barcodes: 'items.errBarcodes',
    });
    expect(checkFloorDraft({ ...d, weightKg: '0', minStock: '3' }, modes)).toEqual({});
    expect(splitBarcodes(' a | b ;c,,a ')).toEqual(['a', 'b', 'c']);
  });
});

describe('stock rows for the expiry view', () => {
  const bal = (
    locationId: string,
    batch: string | null,
    quantity: number,
    seq: number,
    expiresAt?: string,
  ) => ({
    id: `i|${locationId}|${batch ?? ''}`,
    tenantId: 'acme',
    itemId: 'i',
    locationId,
    batch,
    quantity,
    updatedAt: '2026-01-01T00:00:00Z',
    seq,
    ...(expiresAt ? { expiresAt } : {}),
  });
  const mov = (
    id: string,
    to: string | null,
    from: string | null,
    q: number,
    seq: number,
    expiresAt?: string,
  ) => ({
    id,
    tenantId: 'acme',
    itemId: 'i',
    type: 'receipt' as const,
    quantity: q,
    fromLocationId: from,
    toLocationId: to,
    batch: 'L1',
    note: null,
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: 'u',
    deviceId: 'd',
    seq,
    ...(expiresAt ? { expiresAt } : {}),
  });
  it('adds unsynced movements to balances and carries the batch expiry from either', () => {
    const rows = stockRows(
      [bal('A-01-01', 'L1', 5, 10)],
      [mov('m1', 'A-01-01', null, 5, 10, '2027-01-31'), mov('m2', 'A-02-01', null, 3, 0)],
      new Map(),
    );
    expect(rows).toEqual([
      { itemId: 'i', locationId: 'A-01-01', batch: 'L1', quantity: 5, expiresAt: '2027-01-31' },
      { itemId: 'i', locationId: 'A-02-01', batch: 'L1', quantity: 3, expiresAt: '2027-01-31' },
    ]);
  });
  it('does not count an acknowledged movement twice', () => {
    const rows = stockRows(
      [bal('A-01-01', 'L1', 5, 10)],
      [mov('m1', 'A-01-01', null, 5, 0)],
      new Map([['m1', 10]]),
    );
    expect(rows.find((r) => r.locationId === 'A-01-01')?.quantity).toBe(5);
  });
});
