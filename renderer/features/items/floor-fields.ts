import type { Principal } from '../../../shared/access/policy.js';
import type { ItemDoc } from '../../../shared/domain/schemas.js';
import { accessOf, type FieldAccess } from '../../../shared/access/policy.js';
import type { FieldMode } from './model.js';

/** The floor fields of an item (issue #5), in editor order, with how each is typed. */
export const FLOOR_ITEM_FIELDS = [
  { field: 'barcodes', kind: 'list' },
  { field: 'lengthCm', kind: 'number' },
  { field: 'widthCm', kind: 'number' },
  { field: 'heightCm', kind: 'number' },
  { field: 'weightKg', kind: 'number' },
  { field: 'minStock', kind: 'number' },
  { field: 'batchTracked', kind: 'flag' },
  { field: 'expiryTracked', kind: 'flag' },
] as const;
export type FloorItemField = (typeof FLOOR_ITEM_FIELDS)[number]['field'];

/** The draft of the floor fields: text for lists and numbers, booleans for flags. */
export type FloorDraft = {
  barcodes: string;
  lengthCm: string;
  widthCm: string;
  heightCm: string;
  weightKg: string;
  minStock: string;
  batchTracked: boolean;
  expiryTracked: boolean;
};

const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

/** The editor draft of an item's floor fields. */
export function toFloorDraft(i: Partial<ItemDoc>): FloorDraft {
  return {
    barcodes: (i.barcodes ?? []).join(', '),
    lengthCm: num(i.lengthCm),
    widthCm: num(i.widthCm),
    heightCm: num(i.heightCm),
    weightKg: num(i.weightKg),
    minStock: num(i.minStock),
    batchTracked: i.batchTracked === true,
    expiryTracked: i.expiryTracked === true,
  };
}

/** Field modes of the floor fields, from the same shared policy as the rest of the editor. */
export function floorFieldModes(p: Principal, tenantId: string): Record<FloorItemField, FieldMode> {
  const mode = (a: FieldAccess): FieldMode =>
    a === '-' ? 'hidden' : a === 'masked' ? 'masked' : a === 'r' ? 'readonly' : 'editable';
  return Object.fromEntries(
    FLOOR_ITEM_FIELDS.map(({ field }) => [field, mode(accessOf(p, tenantId, 'items', field))]),
  ) as Record<FloorItemField, FieldMode>;
}

/** Split a typed barcode list (commas, semicolons, bars or spaces). */
export function splitBarcodes(s: string): string[] {
  return [
    ...new Set(
      s
        .split(/[,;|\s]+/)
        .map((b) => b.trim())
        .filter((b) => b !== ''),
    ),
  ];
}

const parseNum = (s: string): number | null => {
  const t = s.trim().replace(',', '.');
  if (t === '') return null;
  return /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
};

/** Validation problems of the floor fields (i18n keys under `items.`). */
export function checkFloorDraft(
  d: FloorDraft,
  modes: Record<FloorItemField, FieldMode>,
): Partial<Record<FloorItemField, string>> {
  const errors: Partial<Record<FloorItemField, string>> = {};
  if (modes.barcodes === 'editable') {
    const list = splitBarcodes(d.barcodes);
    if (list.length > 20 || list.some((b) => b.length > 64)) errors.barcodes = 'items.errBarcodes';
  }
  for (const f of ['lengthCm', 'widthCm', 'heightCm', 'weightKg'] as const) {
    if (modes[f] !== 'editable') continue;
    const n = parseNum(d[f]);
    if (n !== null && (!Number.isFinite(n) || n > 1e6)) errors[f] = 'items.errMeasure';
  }
  if (modes.minStock === 'editable') {
    const n = parseNum(d.minStock);
    if (n !== null && (!Number.isFinite(n) || n > 1e9)) errors.minStock = 'items.errMinStock';
  }
  return errors;
}

/** The patch of the floor fields: only editable fields that changed, in their stored types. */
export function floorDraftPatch(
  original: FloorDraft,
  d: FloorDraft,
  modes: Record<FloorItemField, FieldMode>,
): Partial<Pick<ItemDoc, FloorItemField>> {
  const patch: Record<string, unknown> = {};
  for (const { field, kind } of FLOOR_ITEM_FIELDS) {
    if (modes[field] !== 'editable' || d[field] === original[field]) continue;
    if (kind === 'flag') patch[field] = d[field];
    else if (kind === 'list') {
      const next = splitBarcodes(d.barcodes);
      if (next.join(',') !== splitBarcodes(original.barcodes).join(',')) patch[field] = next;
    } else patch[field] = parseNum(d[field]);
  }
  return patch;
}
