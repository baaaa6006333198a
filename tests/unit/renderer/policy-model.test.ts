import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import { describe, expect, it } from 'vitest';
import {
  checkOverrides,
  Entity,
  fieldAccess,
  governedFields,
  Role,
  TenantSettings,
  type FieldAccess,
  type TenantPolicy,
} from '../../../shared/access/policy.js';
import { ApiError, NetworkError } from '../../../renderer/data/api.js';
import {
  ACCESS_ORDER,
  allCells,
  buildPolicyUpdate,
  cellKey,
  changedCells,
  draftFrom,
  effectiveAccess,
  isDirty,
  matrixRows,
  optionsFor,
  overridesFrom,
  policyError,
  valuesFrom,
} from '../../../renderer/features/policy/model.js';

const strength = (a: FieldAccess) => ACCESS_ORDER.length - 1 - ACCESS_ORDER.indexOf(a);
const policy = (overrides: TenantPolicy['overrides'] = {}): TenantPolicy => ({
  version: 4,
  overrides,
  settings: TenantSettings.parse({}),
});

describe('policy matrix', () => {
  it('has a row per governed field and an "all other fields" row per entity', () => {
    const rows = matrixRows();
    for (const entity of Entity.options) {
      const fields = rows.filter((r) => r.entity === entity).map((r) => r.field);
      expect(fields).toEqual([...governedFields(entity), '*']);
    }
    expect(rows).toContainEqual({ entity: 'items', field: 'purchasePrice' });
    expect(allCells()).toHaveLength(rows.length * Role.options.length);
  });

  it('never offers an option looser than the default, and always offers the default and all weaker', () => {
    for (const { entity, field, role } of allCells()) {
      const base = fieldAccess(role, entity, field);
      const options = optionsFor(role, entity, field);
      expect(options[0], `${entity}.${field}.${role}`).toBe(base);
      for (const o of options) expect(strength(o)).toBeLessThanOrEqual(strength(base));
      expect(options.at(-1)).toBe('-');
      expect(options).toHaveLength(strength(base) + 1);
      // Whatever the admin picks passes the policy's own check.
      for (const o of options) expect(checkOverrides({ [entity]: { [field]: { [role]: o } } })).toEqual([]);
    }
  });

  it('matches the documented defaults', () => {
    expect(optionsFor('finance', 'items', 'purchasePrice')).toEqual(['rw', 'r', 'masked', '-']);
    expect(optionsFor('operator', 'items', 'purchasePrice')).toEqual(['-']);
    expect(optionsFor('auditor', 'orders', 'customerPhone')).toEqual(['masked', '-']);
    expect(optionsFor('operator', 'items', '*')).toEqual(['r', 'masked', '-']);
  });
});

describe('overrides diff', () => {
  it('puts only cells that differ from the default into overrides', () => {
    const values = valuesFrom({});
    expect(overridesFrom(values)).toEqual({});
    values[cellKey('items', 'purchasePrice', 'finance')] = '-';
    values[cellKey('orders', '*', 'operator')] = 'r';
    values[cellKey('items', 'purchasePrice', 'admin')] = 'rw'; // the default: stays out
    expect(overridesFrom(values)).toEqual({
      items: { purchasePrice: { finance: '-' } },
      orders: { '*': { operator: 'r' } },
    });
  });

  it('round-trips stored overrides and ignores a stored value looser than the default', () => {
    const stored = { items: { purchasePrice: { finance: 'masked' as const, operator: 'rw' as const } } };
    const values = valuesFrom(stored);
    expect(values[cellKey('items', 'purchasePrice', 'finance')]).toBe('masked');
    expect(values[cellKey('items', 'purchasePrice', 'operator')]).toBe('-');
    expect(overridesFrom(values)).toEqual({ items: { purchasePrice: { finance: 'masked' } } });
  });

  it('marks changed cells against the loaded policy', () => {
    const saved = valuesFrom({});
    const draft = { ...saved, [cellKey('items', 'purchasePrice', 'finance')]: '-' as const };
    expect([...changedCells(draft, saved)]).toEqual(['items.purchasePrice.finance']);
    expect(changedCells(saved, saved).size).toBe(0);
  });

  it('shows when an "all other fields" override also tightens a listed field', () => {
    const values = { ...valuesFrom({}), [cellKey('items', '*', 'finance')]: '-' as const };
    expect(effectiveAccess(values, 'finance', 'items', 'purchasePrice')).toBe('-');
    expect(effectiveAccess(valuesFrom({}), 'finance', 'items', 'purchasePrice')).toBe('rw');
  });
});

describe('saving', () => {
  it('builds the PUT body with the version edited and the reason', () => {
    const draft = draftFrom(policy());
    expect(isDirty(draft, policy())).toBe(false);
    draft.values[cellKey('items', 'purchasePrice', 'finance')] = '-';
    draft.settings = { ...draft.settings, tenantColumn: 'required', wipeOnLogout: true };
    draft.reason = '  finance no longer buys  ';
    expect(isDirty(draft, policy())).toBe(true);
    const r = buildPolicyUpdate(draft, 4);
    expect(r).toEqual({
      ok: true,
      body: {
        overrides: { items: { purchasePrice: { finance: '-' } } },
        settings: { ...DEFAULT_TENANT_SETTINGS, tenantColumn: 'required', wipeOnLogout: true },
        expectedVersion: 4,
        reason: 'finance no longer buys',
      },
    });
  });

  it('requires a reason', () => {
    const draft = draftFrom(policy());
    draft.reason = 'ok';
    expect(buildPolicyUpdate(draft, 4)).toEqual({
      ok: false,
      problems: [],
      reason: 'policy.errors.reasonShort',
    });
    draft.reason = 'x'.repeat(501);
    expect(buildPolicyUpdate(draft, 4)).toMatchObject({ ok: false, reason: 'policy.errors.reasonLong' });
  });

  it('refuses a loosening the options would not offer (checkOverrides)', () => {
    const draft = draftFrom(policy());
    draft.values[cellKey('items', 'purchasePrice', 'operator')] = 'rw';
    draft.reason = 'try to loosen';
    const r = buildPolicyUpdate(draft, 4);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems.join()).toMatch(/loosen/);
  });

  it('classifies errors: 409 conflict, offline, 403', () => {
    expect(policyError(new ApiError(409, 'version_conflict', 'stale'))).toEqual({ kind: 'conflict' });
    expect(policyError(new NetworkError('down'))).toEqual({ kind: 'offline' });
    expect(policyError(new ApiError(403, 'forbidden', 'no'))).toEqual({ kind: 'forbidden', message: 'no' });
  });
});
