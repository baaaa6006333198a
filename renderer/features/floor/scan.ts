/**
 * What a scan field understands. USB barcode scanners are keyboards: they type the code fast and
 * press Enter, so a scan and a typed code arrive the same way. This module is pure: it cleans the
 * raw text, rejects garbage with a stable code, and asks a lookup what the code names.
 */

/** Kinds of code a scan field may accept. */
export type ScanKind = 'item' | 'location' | 'batch';

/** An item as a scan field shows it. */
export type ScannedItem = {
  id: string;
  sku: string;
  name: string;
  batchTracked?: boolean;
  expiryTracked?: boolean;
};

/** What a code was recognized as. */
export type ScanHit =
  | { kind: 'item'; code: string; item: ScannedItem }
  | { kind: 'location'; code: string; locationId: string; name?: string; unverified?: boolean }
  | { kind: 'batch'; code: string; batch: string };

/** Why a scan was refused (i18n key `floor.scan.<code>`). */
export type ScanErrorCode = 'empty' | 'tooLong' | 'control' | 'unknown';

export type ScanOutcome = { ok: true; hit: ScanHit } | { ok: false; code: ScanErrorCode; raw: string };

/** Where a code can be looked up; each returns null when it names nothing of that kind. */
export type ScanLookup = {
  item(code: string): Promise<ScannedItem | null>;
  location(code: string): Promise<{ locationId: string; name?: string; unverified?: boolean } | null>;
  batch(code: string): Promise<string | null>;
};

/** Longest code accepted (GS1-128 carries up to 48 data characters; item SKUs up to 64). */
export const MAX_SCAN_LENGTH = 64;

/** Some scanners send a trailing CR/LF or tab besides Enter, or an AIM prefix; those are not garbage. */
const AIM_PREFIX = /^\][A-Za-z][0-9]/;
const TRAILING = /[\r\n\t]+$/;
// Any C0/C1 control character (GS separators, ESC…) or a zero-width/bidi formatting mark.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Clean a raw scan: the code to look up, or why it is refused. */
export function cleanScan(raw: string): { ok: true; code: string } | { ok: false; code: ScanErrorCode } {
  // Length first: a pasted novel is refused before any regex walks it.
  if (raw.length > MAX_SCAN_LENGTH * 4) return { ok: false, code: 'tooLong' };
  const code = raw.replace(TRAILING, '').trim().replace(AIM_PREFIX, '');
  if (code === '') return { ok: false, code: 'empty' };
  if (CONTROL.test(code)) return { ok: false, code: 'control' };
  if (code.length > MAX_SCAN_LENGTH) return { ok: false, code: 'tooLong' };
  return { ok: true, code };
}

/**
 * Recognize a scan: the first accepted kind (in the order given) that knows the code wins, so a
 * field that takes items and locations tries the item first.
 */
export async function recognize(
  raw: string,
  accept: readonly ScanKind[],
  lookup: ScanLookup,
): Promise<ScanOutcome> {
  const cleaned = cleanScan(raw);
  if (!cleaned.ok) return { ok: false, code: cleaned.code, raw: printable(raw) };
  const code = cleaned.code;
  for (const kind of accept) {
    if (kind === 'item') {
      const item = await lookup.item(code);
      if (item) return { ok: true, hit: { kind, code, item } };
    } else if (kind === 'location') {
      const loc = await lookup.location(code);
      if (loc) return { ok: true, hit: { kind, code, ...loc } };
    } else {
      const batch = await lookup.batch(code);
      if (batch !== null) return { ok: true, hit: { kind, code, batch } };
    }
  }
  return { ok: false, code: 'unknown', raw: printable(code) };
}

/** A refused code as it can be shown in a message: control characters visible, long text cut. */
export function printable(raw: string): string {
  const shown = raw.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
}

/** The value a field keeps for a hit (the item's SKU, the location id, the batch). */
export function hitValue(hit: ScanHit): string {
  return hit.kind === 'item' ? hit.item.sku : hit.kind === 'location' ? hit.locationId : hit.batch;
}

/**
 * Where focus goes after Enter in a field of an ordered form: on success the next enabled field
 * (null: none left, so the submit control), on failure the same field again (text selected, so
 * the next scan replaces it).
 */
export function nextFocus(
  fields: readonly { id: string; enabled: boolean }[],
  current: string,
  ok: boolean,
): string | null {
  if (!ok) return current;
  const i = fields.findIndex((f) => f.id === current);
  for (let j = i + 1; j < fields.length; j++) {
    const f = fields[j];
    if (f?.enabled) return f.id;
  }
  return null;
}

/** Case-insensitive match of a code against an item's SKU, its barcode and every extra barcode. */
export function itemMatches(
  item: { sku: string; barcode?: string | null; barcodes?: readonly string[] | null },
  code: string,
): boolean {
  const c = code.toLowerCase();
  if (item.sku.toLowerCase() === c) return true;
  if (item.barcode && item.barcode.toLowerCase() === c) return true;
  return (item.barcodes ?? []).some((b) => b.toLowerCase() === c);
}
