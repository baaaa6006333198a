import { describe, expect, it } from 'vitest';
import {
  activeMemberships,
  authorizedTenants,
  canRead,
  canWrite,
  canWriteEntity,
  hiddenFields,
  isMembershipActive,
  project,
  Role,
  roleIn,
  type Membership,
  type Principal,
} from '../../../shared/access/policy.js';

const now = new Date('2026-06-01T12:00:00Z');
const m = (
  tenantId: string,
  role: Role,
  validFrom: string | null = null,
  validUntil: string | null = null,
): Membership => ({
  tenantId,
  role,
  validFrom,
  validUntil,
  policyVersion: 1,
});
const principal = (...memberships: Membership[]): Principal => ({ userId: 'u1', memberships, now });

describe('membership validity', () => {
  it('is active inside the window, inclusive start and exclusive end', () => {
    expect(isMembershipActive(m('a', 'operator', '2026-06-01T12:00:00Z', null), now)).toBe(true);
    expect(isMembershipActive(m('a', 'operator', '2026-06-01T12:00:01Z', null), now)).toBe(false);
    expect(isMembershipActive(m('a', 'operator', null, '2026-06-01T12:00:00Z'), now)).toBe(false);
    expect(isMembershipActive(m('a', 'operator', null, '2026-06-01T12:00:01Z'), now)).toBe(true);
  });
  it('an expired grant one second after expiry gives no tenant', () => {
    const p = principal(m('acme', 'operator', null, '2026-06-01T11:59:59Z'), m('globex', 'manager'));
    expect(authorizedTenants(p)).toEqual(['globex']);
    expect(roleIn(p, 'acme')).toBeNull();
    expect(activeMemberships(p)).toHaveLength(1);
    expect(canRead(p, 'acme', 'items', 'sku')).toBe(false);
  });
});

describe('field matrix', () => {
  const matrix: Record<Role, { price: boolean; writeItems: boolean; writeMovements: boolean }> = {
    admin: { price: true, writeItems: true, writeMovements: true },
    manager: { price: false, writeItems: true, writeMovements: true },
    operator: { price: false, writeItems: false, writeMovements: true },
    finance: { price: true, writeItems: true, writeMovements: false },
    auditor: { price: true, writeItems: false, writeMovements: false },
  };
  for (const role of Role.options) {
    it(`${role}: purchase price ${matrix[role].price ? 'visible' : 'hidden'}`, () => {
      const p = principal(m('acme', role));
      expect(canRead(p, 'acme', 'items', 'purchasePrice')).toBe(matrix[role].price);
      expect(canRead(p, 'acme', 'items', 'sku')).toBe(true);
      expect(canRead(p, 'globex', 'items', 'sku')).toBe(false);
      expect(canWriteEntity(p, 'acme', 'items')).toBe(matrix[role].writeItems);
      expect(canWriteEntity(p, 'acme', 'movements')).toBe(matrix[role].writeMovements);
      expect(canWriteEntity(p, 'acme', 'balances')).toBe(false);
      expect(hiddenFields(role, 'items').includes('purchasePrice')).toBe(!matrix[role].price);
    });
  }
  it('finance writes the price but not the name; operators write neither', () => {
    const fin = principal(m('acme', 'finance'));
    expect(canWrite(fin, 'acme', 'items', 'purchasePrice')).toBe(true);
    expect(canWrite(fin, 'acme', 'items', 'name')).toBe(false);
    const op = principal(m('acme', 'operator'));
    expect(canWrite(op, 'acme', 'items', 'purchasePrice')).toBe(false);
    expect(canWrite(op, 'acme', 'items', 'name')).toBe(false);
  });
});

describe('project', () => {
  const item = {
    id: 'x',
    tenantId: 'acme',
    sku: 'S',
    name: 'N',
    purchasePrice: 12.5,
    seq: 3,
    updatedAt: 't',
  };
  it('removes the key (not just the value) of hidden fields', () => {
    const out = project('operator', 'items', item);
    expect('purchasePrice' in out).toBe(false);
    expect(out).toEqual({ id: 'x', tenantId: 'acme', sku: 'S', name: 'N', seq: 3, updatedAt: 't' });
  });
  it('keeps visible fields untouched', () => {
    expect(project('finance', 'items', item)).toEqual(item);
  });
});
