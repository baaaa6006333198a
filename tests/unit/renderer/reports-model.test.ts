import { describe, expect, it } from 'vitest';
import type { Membership, Principal } from '../../../shared/access/policy.js';
import type { ReportResult } from '../../../shared/api/reports.js';
import {
  defaultSelection,
  displayColumns,
  exportAvailability,
  exportFileName,
  exportPath,
  filterReportRows,
  formatCell,
  reportPath,
  reportTenantOptions,
  toggleTenant,
} from '../../../renderer/features/reports/model.js';

const now = new Date('2026-11-26T08:00:00Z');
const m = (tenantId: string, role: Membership['role'], validUntil: string | null = null): Membership => ({
  tenantId,
  role,
  validFrom: null,
  validUntil,
  policyVersion: 1,
});
const principal = (...memberships: Membership[]): Principal => ({ userId: 'u', memberships, now });

describe('tenant picker', () => {
  it('offers every tenant allowing cross-tenant reports', () => {
    const mgr = principal(m('acme', 'manager'), m('globex', 'manager'));
    expect(reportTenantOptions(mgr, 'acme')).toEqual([
      { tenantId: 'acme', crossTenant: true },
      { tenantId: 'globex', crossTenant: true },
    ]);
  });

  it('offers only the active tenant to an operator', () => {
    const op = principal(m('acme', 'operator'));
    expect(reportTenantOptions(op, 'acme')).toEqual([{ tenantId: 'acme', crossTenant: false }]);
    expect(reportTenantOptions(op, null)).toEqual([]);
  });

  it('drops expired memberships', () => {
    const p = principal(m('acme', 'manager'), m('globex', 'finance', '2026-11-26T08:00:00Z'));
    expect(reportTenantOptions(p, 'acme').map((o) => o.tenantId)).toEqual(['acme']);
  });

  it('selects the active tenant first and never mixes a single-only tenant with others', () => {
    const p = principal(m('acme', 'operator'), m('globex', 'finance'), m('initech', 'auditor'));
    const options = reportTenantOptions(p, 'acme');
    expect(options.map((o) => o.tenantId)).toEqual(['acme', 'globex', 'initech']);
    expect(defaultSelection(options, 'acme')).toEqual(['acme']);
    expect(toggleTenant(options, ['acme'], 'globex')).toEqual(['globex']);
    expect(toggleTenant(options, ['initech'], 'globex')).toEqual(['globex', 'initech']);
    expect(toggleTenant(options, ['globex', 'initech'], 'acme')).toEqual(['acme']);
    expect(toggleTenant(options, ['globex', 'initech'], 'globex')).toEqual(['initech']);
    expect(toggleTenant(options, ['globex'], 'nope')).toEqual(['globex']);
  });
});

describe('paths', () => {
  it('uses the per-tenant route for one tenant, the cross-tenant route for several', () => {
    expect(reportPath('inventory', [])).toBeNull();
    expect(reportPath('inventory', ['acme'])).toBe('/api/t/acme/reports/inventory');
    expect(reportPath('inventory', ['acme', 'globex'])).toBe('/api/reports/inventory?tenants=acme,globex');
    expect(exportPath('inventory', 'acme')).toBe('/api/t/acme/export/inventory?format=csv');
  });

  it('enables export only where the policy allows it, with a reason otherwise', () => {
    expect(exportAvailability(principal(m('acme', 'manager')), 'acme')).toEqual({ enabled: true });
    expect(exportAvailability(principal(m('acme', 'operator')), 'acme')).toEqual({
      enabled: false,
      reason: 'reports.export.notAllowed',
    });
    expect(exportAvailability(principal(m('acme', 'manager')), null)).toEqual({
      enabled: false,
      reason: 'reports.export.noTenant',
    });
    expect(exportFileName('inventory', 'acme', null, now)).toBe('inventory-acme-2026-11-26.csv');
    expect(exportFileName('inventory', 'acme', 'x.csv', now)).toBe('x.csv');
  });
});

describe('result rendering', () => {
  const result = (tenantColumn: boolean): ReportResult => ({
    report: 'inventory',
    tenants: ['acme', 'globex'],
    tenantColumn,
    columns: [
      { key: 'sku', field: 'sku', label: 'SKU', type: 'string' },
      { key: 'tenantId', field: 'tenantId', label: 'Tenant', type: 'string' },
      { key: 'onHand', field: null, label: 'On hand', type: 'number' },
    ],
    rows: [
      { tenantId: 'acme', sku: 'ACME-1', onHand: 1234.5 },
      { tenantId: 'globex', sku: 'GLBX-1', onHand: null },
    ],
  });

  it('renders exactly the server columns, the tenant column first and only when flagged', () => {
    expect(displayColumns(result(true)).map((c) => c.key)).toEqual(['tenantId', 'sku', 'onHand']);
    expect(displayColumns(result(false)).map((c) => c.key)).toEqual(['sku', 'onHand']);
    const unlisted = { ...result(true), columns: result(true).columns.filter((c) => c.key !== 'tenantId') };
    expect(displayColumns(unlisted).map((c) => c.key)).toEqual(['tenantId', 'sku', 'onHand']);
  });

  it('filters on shown columns only', () => {
    const r = result(false);
    const cols = displayColumns(r);
    expect(filterReportRows(r.rows, cols, 'glbx')).toHaveLength(1);
    expect(filterReportRows(r.rows, cols, '  ')).toHaveLength(2);
    // The tenant column is hidden here, so its values do not match.
    expect(filterReportRows(r.rows, cols, 'globex')).toHaveLength(0);
    expect(filterReportRows(r.rows, displayColumns(result(true)), 'globex')).toHaveLength(1);
  });

  it('formats numbers for the UI language', () => {
    const num = { key: 'onHand', field: null, label: 'On hand', type: 'number' as const };
    expect(formatCell(1234.5, num, 'en')).toBe('1,234.5');
    expect(formatCell(1234.5, num, 'de-DE')).toBe('1.234,5');
    expect(formatCell(null, num, 'en')).toBe('');
    expect(formatCell('ACME-1', { ...num, type: 'string' }, 'en')).toBe('ACME-1');
  });
});
