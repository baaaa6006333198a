import type { AttentionItem } from '../../data/attention-types.js';
import type { Translate } from '../audit/model.js';

/** Rejection codes the screen words itself; any other code shows as the server sent it. */
export const KNOWN_CODES = [
  'forbidden',
  'invalid',
  'wrong-tenant',
  'immutable',
  'conflict',
  'audit-missing',
  'actor-mismatch',
  'confirmation-required',
  'confirmation-invalid',
  'cosign-invalid',
  'insufficient-stock',
] as const;

/** Items still waiting for their author, newest first. */
export function openItems(items: readonly AttentionItem[] | null): AttentionItem[] {
  if (!items) return [];
  return items.filter((i) => i.status === 'open').sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** What the tab badge counts: open items only (retried and discarded ones are done). */
export function attentionCount(items: readonly AttentionItem[] | null): number {
  return items ? items.reduce((n, i) => (i.status === 'open' ? n + 1 : n), 0) : 0;
}

const text = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

/** The identifying facts of the document, taken from the local version (the server's as fallback). */
export type Subject =
  | { collection: 'items'; sku: string | null; name: string | null }
  | {
      collection: 'movements';
      type: string | null;
      quantity: string | null;
      batch: string | null;
      itemId: string | null;
    };

export function subjectOf(
  item: Pick<AttentionItem, 'collection' | 'localVersion' | 'serverVersion'>,
): Subject {
  const pick = (k: string) => text(item.localVersion[k]) ?? text(item.serverVersion?.[k]);
  if (item.collection === 'items') return { collection: 'items', sku: pick('sku'), name: pick('name') };
  return {
    collection: 'movements',
    type: pick('type'),
    quantity: pick('quantity'),
    batch: pick('batch'),
    itemId: pick('itemId'),
  };
}

/** One line saying what the item is about, in the UI language. */
export function subjectText(s: Subject, t: Translate): string {
  if (s.collection === 'items') {
    if (s.sku && s.name) return t('attention.subject.item', { sku: s.sku, name: s.name });
    return t('attention.subject.itemShort', { label: s.sku ?? s.name ?? '?' });
  }
  const type = s.type ? t(`attention.movementTypes.${s.type}`, { defaultValue: s.type }) : '?';
  const quantity = s.quantity ?? '?';
  return s.batch
    ? t('attention.subject.movementBatch', { type, quantity, batch: s.batch })
    : t('attention.subject.movement', { type, quantity });
}

/** The server's rejection code in words (an unknown code is shown as it came). */
export function codeText(code: string, t: Translate): string {
  return (KNOWN_CODES as readonly string[]).includes(code) ? t(`attention.codes.${code}`) : code;
}

/** Local bookkeeping fields that are not the user's data. */
const INTERNAL = new Set(['_rev', '_meta', '_attachments', 'pendingAudit']);

/** The local version as the text Copy puts on the clipboard (pretty JSON, without bookkeeping). */
export function copyText(item: Pick<AttentionItem, 'localVersion'>): string {
  const clean = Object.fromEntries(Object.entries(item.localVersion).filter(([k]) => !INTERNAL.has(k)));
  return JSON.stringify(clean, null, 2);
}

/**
 * Put text on the clipboard; false when the platform refuses (no permission, not focused, no
 * API) so the screen can offer the text to select by hand instead.
 */
export async function copyToClipboard(
  value: string,
  clipboard: Pick<Clipboard, 'writeText'> | undefined,
): Promise<boolean> {
  if (!clipboard) return false;
  try {
    await clipboard.writeText(value);
    return true;
  } catch {
    return false;
  }
}
