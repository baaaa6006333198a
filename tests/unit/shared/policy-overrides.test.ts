import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import { describe, expect, it } from 'vitest';
import {
  Action,
  checkOverrides,
  Entity,
  FieldAccess,
  fieldAccess,
  FieldOverrides as FieldOverridesSchema,
  governedFields,
  MASKED,
  maskedFields,
  nextMembershipChange,
  project,
  Role,
  roleCan,
  showTenantColumn,
  TenantPolicy as TenantPolicySchema,
  weaker,
  type FieldOverrides,
  type TenantPolicy,
} from '../../../shared/access/policy.js';

const order = {
  id: 'o1',
  tenantId: 'acme',
  customerName: 'Zhang Wei',
  customerPhone: '+86 10 1234',
  status: 'open',
  seq: 1,
};

describe('overrides only tighten', () => {
  const accesses = FieldAccess.options;
  // Exhaustive: every role × entity × governed field × override value.
  for (const entity of Entity.options) {
    for (const field of [...governedFields(entity), 'someOtherField']) {
      for (const role of Role.options) {
        it(`${entity}.${field} for ${role}`, () => {
          const base = fieldAccess(role, entity, field);
          for (const o of accesses) {
            const overrides: FieldOverrides = { [entity]: { [field]: { [role]: o } } };
            const eff = fieldAccess(role, entity, field, overrides);
            expect(eff).toBe(weaker(base, o));
            // The override of one role never changes another's access.
            for (const other of Role.options.filter((r) => r !== role)) {
              expect(fieldAccess(other, entity, field, overrides)).toBe(fieldAccess(other, entity, field));
            }
            const problems = checkOverrides(overrides);
            if (field === 'someOtherField') expect(problems.length).toBe(1);
            else expect(problems.length === 0).toBe(weaker(base, o) === o);
          }
        });
      }
    }
  }
  it('identifying fields cannot be restricted and stay visible', () => {
    expect(checkOverrides({ items: { id: { operator: '-' } } })).toHaveLength(1);
    expect(fieldAccess('operator', 'items', 'id', { items: { '*': { operator: '-' } } })).toBe('r');
  });
  it("'*' override tightens every field of the entity", () => {
    const o: FieldOverrides = { items: { '*': { operator: '-' } } };
    expect(fieldAccess('operator', 'items', 'name', o)).toBe('-');
    expect(checkOverrides(o)).toEqual([]);
  });
});

describe('masking', () => {
  it('auditors get a stable placeholder, never the value', () => {
    const p = project('auditor', 'orders', order);
    expect(p.customerName).toBe(MASKED);
    expect(p.customerPhone).toBe(MASKED);
    expect(JSON.stringify(p)).not.toContain('Zhang');
    expect(maskedFields('auditor', 'orders')).toEqual([
      'customerName',
      'shipTo',
      'customerPhone',
      'customerEmail',
    ]);
  });
  it('operators read name and address but never phone or email', () => {
    const p = project('operator', 'orders', order);
    expect(p.customerName).toBe('Zhang Wei');
    expect('customerPhone' in p).toBe(false);
  });
  it('finance gets no customer data at all', () => {
    const p = project('finance', 'orders', order);
    expect('customerName' in p).toBe(false);
    expect(p.status).toBe('open');
  });
  it('a tenant override hides the price from finance too', () => {
    const item = { id: 'i', tenantId: 'acme', sku: 'S', purchasePrice: 3 };
    expect(
      'purchasePrice' in project('finance', 'items', item, { items: { purchasePrice: { finance: '-' } } }),
    ).toBe(false);
  });
});

describe('actions and settings', () => {
  it('nobody but admin edits policy; operators cannot approve grants', () => {
    for (const r of Role.options) expect(roleCan(r, 'policy:edit')).toBe(r === 'admin');
    expect(roleCan('operator', 'grant:approve')).toBe(false);
    expect(roleCan('manager', 'grant:approve')).toBe(true);
    for (const a of Action.options) expect(roleCan('admin', a)).toBe(true);
  });
  it('tenant column: required wins, all hidden hides, otherwise shown for several tenants', () => {
    const pol = (tenantColumn: 'auto' | 'required' | 'hidden'): TenantPolicy => ({
      version: 1,
      overrides: {},
      settings: { ...DEFAULT_TENANT_SETTINGS, tenantColumn, wipeOnLogout: false },
    });
    expect(showTenantColumn(['a'], { a: pol('auto') })).toBe(false);
    expect(showTenantColumn(['a'], { a: pol('required') })).toBe(true);
    expect(showTenantColumn(['a', 'b'], { a: pol('hidden'), b: pol('auto') })).toBe(true);
    expect(showTenantColumn(['a', 'b'], { a: pol('hidden'), b: pol('hidden') })).toBe(false);
    expect(showTenantColumn(['a', 'b'], { a: pol('hidden'), b: pol('required') })).toBe(true);
  });
  it('next membership change is the earliest future boundary', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const m = (validFrom: string | null, validUntil: string | null) => ({
      tenantId: 't',
      role: 'operator' as const,
      validFrom,
      validUntil,
      policyVersion: 1,
    });
    expect(
      nextMembershipChange({
        userId: 'u',
        now,
        memberships: [
          m(null, '2026-01-03T00:00:00Z'),
          m('2026-01-02T00:00:00Z', null),
          m(null, '2025-01-01T00:00:00Z'),
        ],
      })?.toISOString(),
    ).toBe('2026-01-02T00:00:00.000Z');
    expect(nextMembershipChange({ userId: 'u', now, memberships: [m(null, null)] })).toBeNull();
  });
});

describe('the retired orders.shipToAddress field', () => {
  it('is not governed; the address is governed as shipTo only', () => {
    expect(governedFields('orders')).not.toContain('shipToAddress');
    expect(governedFields('orders')).toContain('shipTo');
    expect(fieldAccess('operator', 'orders', 'shipTo')).toBe('r');
    expect(fieldAccess('auditor', 'orders', 'shipTo')).toBe('masked');
    expect(fieldAccess('finance', 'orders', 'shipTo')).toBe('-');
  });
  it('stored overrides naming it parse without it, the rest and other entities untouched', () => {
    const stored = {
      orders: { shipToAddress: { operator: '-' }, shipTo: { manager: 'r' } },
      items: { purchasePrice: { finance: 'r' } },
    };
    const parsed = FieldOverridesSchema.parse(stored);
    expect(parsed).toEqual({
      orders: { shipTo: { manager: 'r' } },
      items: { purchasePrice: { finance: 'r' } },
    });
    expect(checkOverrides(parsed)).toEqual([]);
    // The input object is not changed (callers may still hold it).
    expect(stored.orders.shipToAddress).toEqual({ operator: '-' });
    expect(FieldOverridesSchema.parse(undefined)).toEqual({});
    const policy = TenantPolicySchema.parse({ version: 3, overrides: stored, settings: {} });
    expect(policy.overrides.orders).toEqual({ shipTo: { manager: 'r' } });
  });
  it('an override that names it directly is refused like any ungoverned field', () => {
    expect(checkOverrides({ orders: { shipToAddress: { operator: '-' } } })).toEqual([
      'orders.shipToAddress is not a governed field',
    ]);
  });
});
