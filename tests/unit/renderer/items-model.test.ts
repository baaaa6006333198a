import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import { describe, expect, it } from 'vitest';
import type { Membership, Principal, Role } from '../../../shared/access/policy.js';
import { checkDraft, draftPatch, fieldModes } from '../../../renderer/features/items/model.js';

const principal = (role: Role, overrides = {}): Principal => ({
  userId: 'u',
  now: new Date(),
  memberships: [
    { tenantId: 'acme', role, validFrom: null, validUntil: null, policyVersion: 1 } satisfies Membership,
  ],
  policies: {
    acme: {
      version: 1,
      overrides,
      settings: { ...DEFAULT_TENANT_SETTINGS, tenantColumn: 'auto', wipeOnLogout: false },
    },
  },
});
const draft = { sku: 'S-1', name: 'Widget', barcode: '', uom: 'pc', purchasePrice: '2.5' };

describe('item editor field modes (from the shared policy)', () => {
  it('operator: everything read-only, price hidden', () => {
    expect(fieldModes(principal('operator'), 'acme')).toEqual({
      sku: 'readonly',
      name: 'readonly',
      barcode: 'readonly',
      uom: 'readonly',
      purchasePrice: 'hidden',
    });
  });
  it('manager edits master data but never sees the price; finance edits only the price', () => {
    const m = fieldModes(principal('manager'), 'acme');
    expect(m.name).toBe('editable');
    expect(m.purchasePrice).toBe('hidden');
    const f = fieldModes(principal('finance'), 'acme');
    expect(f.name).toBe('readonly');
    expect(f.purchasePrice).toBe('editable');
  });
  it('a tenant override makes a field read-only', () => {
    expect(fieldModes(principal('manager', { items: { name: { manager: 'r' } } }), 'acme').name).toBe(
      'readonly',
    );
  });
  it('no membership: everything hidden', () => {
    expect(Object.values(fieldModes(principal('admin'), 'globex'))).toEqual(Array(5).fill('hidden'));
  });
});

describe('drafts', () => {
  const modes = fieldModes(principal('admin'), 'acme');
  it('patch holds only changed editable fields with stored types', () => {
    expect(
      draftPatch(draft, { ...draft, name: ' Gadget ', purchasePrice: '3,75', barcode: '' }, modes),
    ).toEqual({
      name: 'Gadget',
      purchasePrice: 3.75,
    });
    const op = fieldModes(principal('operator'), 'acme');
    expect(draftPatch(draft, { ...draft, name: 'x' }, op)).toEqual({});
  });
  it('validation names the field', () => {
    expect(checkDraft({ ...draft, sku: ' ', purchasePrice: '-1' }, modes)).toEqual({
      sku: 'items.errSku',
      purchasePrice: 'items.errPrice',
    });
    expect(checkDraft(draft, modes)).toEqual({});
  });
});
