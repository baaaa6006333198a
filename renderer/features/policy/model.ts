import {
  checkOverrides,
  Entity,
  FieldAccess,
  fieldAccess,
  governedFields,
  Role,
  type FieldOverrides,
  type TenantPolicy,
  type TenantSettings,
} from '../../../shared/access/policy.js';
import { PolicyUpdateBody } from '../../../shared/api/policy.js';
import { ApiError, NetworkError } from '../../data/api.js';

/** Accesses from strongest to weakest (the order of `FieldAccess`). */
export const ACCESS_ORDER: readonly FieldAccess[] = FieldAccess.options;

/** The pseudo-field of an entity's "all other fields" row. */
export const OTHER_FIELDS = '*';

/** Address of one cell of the matrix. */
export type CellKey = `${Entity}.${string}.${Role}`;
export const cellKey = (entity: Entity, field: string, role: Role): CellKey => `${entity}.${field}.${role}`;

/** The default matrix's access (no overrides) of a role to a field; `'*'` = every other field. */
export function defaultAccess(role: Role, entity: Entity, field: string): FieldAccess {
  return fieldAccess(role, entity, field);
}

/** The choices of a cell: the default and everything weaker (overrides only tighten). */
export function optionsFor(role: Role, entity: Entity, field: string): FieldAccess[] {
  const base = defaultAccess(role, entity, field);
  return ACCESS_ORDER.slice(ACCESS_ORDER.indexOf(base));
}

/** Cell values of a whole matrix, by cell key. */
export type CellValues = Record<CellKey, FieldAccess>;

/** One row of the matrix: an entity's governed field, or its "all other fields" row. */
export type MatrixRow = { entity: Entity; field: string };

/** Rows of the matrix: every governed field of every entity, then that entity's `'*'` row. */
export function matrixRows(): MatrixRow[] {
  return Entity.options.flatMap((entity) => [
    ...governedFields(entity).map((field) => ({ entity, field })),
    { entity, field: OTHER_FIELDS },
  ]);
}

/** Every cell of the matrix. */
export function allCells(): { entity: Entity; field: string; role: Role; key: CellKey }[] {
  return matrixRows().flatMap(({ entity, field }) =>
    Role.options.map((role) => ({ entity, field, role, key: cellKey(entity, field, role) })),
  );
}

/**
 * The cell values a stored policy means: a cell's own override, never looser than the default
 * (the policy ignores a looser one), else the default.
 */
export function valuesFrom(overrides: FieldOverrides): CellValues {
  const values = {} as CellValues;
  for (const { entity, field, role, key } of allCells()) {
    const base = defaultAccess(role, entity, field);
    const own = overrides[entity]?.[field]?.[role];
    values[key] = own !== undefined && ACCESS_ORDER.indexOf(own) > ACCESS_ORDER.indexOf(base) ? own : base;
  }
  return values;
}

/** Overrides for the values: only the cells that differ from the default. */
export function overridesFrom(values: CellValues): FieldOverrides {
  const out: FieldOverrides = {};
  for (const { entity, field, role, key } of allCells()) {
    const v = values[key];
    if (v === undefined || v === defaultAccess(role, entity, field)) continue;
    const fields = (out[entity] ??= {});
    const roles = (fields[field] ??= {});
    roles[role] = v;
  }
  return out;
}

/** Cells whose value differs between two states (unsaved edits). */
export function changedCells(values: CellValues, saved: CellValues): Set<CellKey> {
  const out = new Set<CellKey>();
  for (const { key } of allCells()) if (values[key] !== saved[key]) out.add(key);
  return out;
}

/**
 * What the role really gets for a listed field under the draft: an entity's `'*'` override also
 * tightens listed fields that have none of their own, so the cell may show less than it says.
 */
export function effectiveAccess(values: CellValues, role: Role, entity: Entity, field: string): FieldAccess {
  return fieldAccess(role, entity, field, overridesFrom(values));
}

/** The editor's whole state. */
export type PolicyDraft = { values: CellValues; settings: TenantSettings; reason: string };

export function draftFrom(policy: TenantPolicy): PolicyDraft {
  return { values: valuesFrom(policy.overrides), settings: { ...policy.settings }, reason: '' };
}

/** True when the draft would store something else than the loaded policy. */
export function isDirty(draft: PolicyDraft, policy: TenantPolicy): boolean {
  const saved = draftFrom(policy);
  return (
    changedCells(draft.values, saved.values).size > 0 ||
    draft.settings.tenantColumn !== saved.settings.tenantColumn ||
    draft.settings.wipeOnLogout !== saved.settings.wipeOnLogout
  );
}

/**
 * The `PUT /api/t/:tenant/policy` body for the draft, checked with the policy's own
 * `checkOverrides` and the contract schema. `problems` are the policy's own words; `reason` is an
 * i18n key.
 */
export function buildPolicyUpdate(
  draft: PolicyDraft,
  expectedVersion: number,
): { ok: true; body: PolicyUpdateBody } | { ok: false; problems: string[]; reason: string | null } {
  const overrides = overridesFrom(draft.values);
  const problems = checkOverrides(overrides);
  const parsed = PolicyUpdateBody.safeParse({
    overrides,
    settings: draft.settings,
    expectedVersion,
    reason: draft.reason,
  });
  const reasonIssue = parsed.success ? undefined : parsed.error.issues.find((i) => i.path[0] === 'reason');
  const reason = reasonIssue
    ? reasonIssue.code === 'too_big'
      ? 'policy.errors.reasonLong'
      : 'policy.errors.reasonShort'
    : null;
  if (problems.length === 0 && parsed.success) return { ok: true, body: parsed.data };
  const other = parsed.success
    ? []
    : parsed.error.issues
        .filter((i) => i.path[0] !== 'reason')
        .map((i) => `${i.path.join('.')}: ${i.message}`);
  return { ok: false, problems: [...problems, ...other], reason };
}

/** How a failed load or save reads on screen. */
export type PolicyError =
  | { kind: 'offline' }
  | { kind: 'conflict' }
  | { kind: 'forbidden'; message: string }
  | { kind: 'other'; message: string };

export function policyError(e: unknown): PolicyError {
  if (e instanceof NetworkError) return { kind: 'offline' };
  if (e instanceof ApiError) {
    if (e.status === 409) return { kind: 'conflict' };
    if (e.status === 403) return { kind: 'forbidden', message: e.message };
    return { kind: 'other', message: e.message };
  }
  return { kind: 'other', message: e instanceof Error ? e.message : String(e) };
}
