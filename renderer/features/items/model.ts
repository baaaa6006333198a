import { accessOf, type FieldAccess, type Principal } from '../../../shared/access/policy.js';

/** Item fields the editor shows, in order. */
export const ITEM_FIELDS = ['sku', 'name', 'barcode', 'uom', 'purchasePrice'] as const;
export type ItemField = (typeof ITEM_FIELDS)[number];

/** How the editor renders one field: not at all, masked, read-only, or editable. */
export type FieldMode = 'hidden' | 'masked' | 'readonly' | 'editable';

/** The editor's field modes for the principal in a tenant, straight from the shared policy. */
export function fieldModes(p: Principal, tenantId: string): Record<ItemField, FieldMode> {
  const mode = (a: FieldAccess): FieldMode =>
    a === '-' ? 'hidden' : a === 'masked' ? 'masked' : a === 'r' ? 'readonly' : 'editable';
  return Object.fromEntries(ITEM_FIELDS.map((f) => [f, mode(accessOf(p, tenantId, 'items', f))])) as Record<
    ItemField,
    FieldMode
  >;
}

export type ItemDraft = Record<ItemField, string>;

/** Validation problems of a draft, by field (i18n keys). */
export function checkDraft(
  d: ItemDraft,
  modes: Record<ItemField, FieldMode>,
): Partial<Record<ItemField, string>> {
  const errors: Partial<Record<ItemField, string>> = {};
  if (modes.sku === 'editable' && (d.sku.trim() === '' || d.sku.length > 64)) errors.sku = 'items.errSku';
  if (modes.name === 'editable' && (d.name.trim() === '' || d.name.length > 200))
    errors.name = 'items.errName';
  if (modes.uom === 'editable' && (d.uom.trim() === '' || d.uom.length > 16)) errors.uom = 'items.errUom';
  if (modes.barcode === 'editable' && d.barcode.length > 64) errors.barcode = 'items.errBarcode';
  if (modes.purchasePrice === 'editable' && d.purchasePrice.trim() !== '') {
    const n = Number(d.purchasePrice.replace(',', '.'));
    if (!Number.isFinite(n) || n < 0) errors.purchasePrice = 'items.errPrice';
  }
  return errors;
}

/** The patch to write: only editable fields that changed, converted to their stored types. */
export function draftPatch(
  original: ItemDraft,
  d: ItemDraft,
  modes: Record<ItemField, FieldMode>,
): Record<string, string | number | null> {
  const patch: Record<string, string | number | null> = {};
  for (const f of ITEM_FIELDS) {
    if (modes[f] !== 'editable' || d[f] === original[f]) continue;
    if (f === 'purchasePrice') patch[f] = d[f].trim() === '' ? null : Number(d[f].replace(',', '.'));
    else if (f === 'barcode') patch[f] = d[f].trim() === '' ? null : d[f].trim();
    else patch[f] = d[f].trim();
  }
  return patch;
}
