/** WebCrypto is global in Node ≥ 19 and in browsers; `shared/` has neither lib, so declare what we use. */
declare const crypto: { subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } };
declare const TextEncoder: new () => { encode(text: string): Uint8Array };

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped, non-finite
 * numbers refused. Two parties that hold the same data produce the same bytes.
 *
 * Performance (issue #8): the server hashes two snapshots' worth of canonical JSON per accepted
 * change; this walks each value once, building the string directly (the first version went through
 * `Object.entries`, `filter`, `sort`, `map` and `join` per object, ~2× slower). The bytes are the
 * same: a property test compares it with the first version (tests/unit/server/audit-fast.test.ts).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      // String(n) is JSON's number form for every finite number (and "0" for -0).
      return String(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) {
        const a = value as unknown[];
        let out = '[';
        for (let i = 0; i < a.length; i++) {
          if (i > 0) out += ',';
          // A hole stays empty, as `Array.prototype.map` + `join` left it; undefined is null.
          if (i in a) out += canonicalJson(a[i] === undefined ? null : a[i]);
        }
        return `${out}]`;
      }
      const o = value as Record<string, unknown>;
      // Default sort: UTF-16 code units, the same order as comparing the keys with `<`.
      const keys = Object.keys(o).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = o[k];
        if (v === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
}

/** SHA-256 of a UTF-8 string, lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
