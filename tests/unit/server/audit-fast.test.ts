/**
 * The audit append's fast paths (issue #8, push throughput) give exactly the bytes of the code they
 * replace: `canonicalJson` against its first version, and `storedCanonicalJson` (one pass) against
 * `canonicalJson(JSON.parse(JSON.stringify(v)))`, the copy-then-serialise the append used to do —
 * a different byte would change a hash and break the chain (I4).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/audit/canonical.js';
import { storedCanonicalJson } from '../../../server/audit/log.js';

/** `canonicalJson` as it was before the fast path (shared/audit/canonical.ts, first version). */
function referenceCanonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((v) => referenceCanonicalJson(v === undefined ? null : v)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
}

/** The result of `f`, or the class of what it threw. */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    return { threw: e instanceof Error ? e.constructor.name : typeof e };
  }
}

/** Keys that sort differently by code unit than by code point, and ones JSON must escape. */
const trickyKey = fc.constantFrom(
  'a',
  'B',
  'é',
  '\uD83D\uDCE6',
  '\uFF61',
  '"',
  '\\',
  '\n',
  '',
  '__proto__',
  '10',
  '9',
);

/**
 * Values as snapshots and entries hold them — and then some: sparse arrays, -0, huge and tiny
 * numbers, lone surrogates, dates, undefined members, non-finite numbers, nested objects.
 */
const valueArb = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 0.1 + 0.2),
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('\uD800', 'a\uDC00b', '\u2028', '\u0007'),
    fc.date({ noInvalidDate: true }),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 5 }),
    fc.sparseArray(tie('node'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(trickyKey, fc.string()), tie('node'), { maxKeys: 6 }),
  ),
})).node;

describe('canonicalJson fast path', () => {
  it('writes the same bytes as the first version, and throws where it threw', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        expect(outcome(() => canonicalJson(v))).toEqual(outcome(() => referenceCanonicalJson(v)));
      }),
      { numRuns: 3000 },
    );
  });

  it('on anything fast-check makes (objects with odd prototypes, boxed values, symbols)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBoxedValues: true,
          withSparseArray: true,
          withNullPrototype: true,
          withDate: true,
        }),
        (v) => {
          expect(outcome(() => canonicalJson(v))).toEqual(outcome(() => referenceCanonicalJson(v)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps the documented edge cases', () => {
    expect(canonicalJson({ b: 1, a: [1, undefined, 'x'], c: undefined })).toBe('{"a":[1,null,"x"],"b":1}');
    expect(canonicalJson(-0)).toBe('0');
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    // Code-unit order: U+FF61 sorts after the surrogate pair of U+1F4E6.
    expect(canonicalJson({ '\uFF61': 1, '\uD83D\uDCE6': 2 })).toBe('{"📦":2,"｡":1}');
  });
});

describe('storedCanonicalJson', () => {
  const reference = (v: unknown): string | undefined => {
    const text = JSON.stringify(v) as string | undefined;
    return text === undefined ? undefined : referenceCanonicalJson(JSON.parse(text));
  };

  it('is canonicalJson of the value as jsonb stores it (JSON.stringify, then parse)', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        expect(outcome(() => storedCanonicalJson(v))).toEqual(outcome(() => reference(v)));
      }),
      { numRuns: 3000 },
    );
  });

  it('on anything fast-check makes, boxed values and toJSON included', () => {
    const withToJson = fc.record({ toJSON: fc.constant(() => ({ z: 1, a: [undefined] })), x: fc.integer() });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({
            withBoxedValues: true,
            withSparseArray: true,
            withNullPrototype: true,
            withDate: true,
          }),
          fc.array(withToJson, { maxLength: 3 }),
          fc.dictionary(fc.string(), withToJson, { maxKeys: 3 }),
        ),
        (v) => {
          expect(outcome(() => storedCanonicalJson(v))).toEqual(outcome(() => reference(v)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('documents and snapshots as push stores them', () => {
    const doc = {
      id: '0b0f7c8e-6f0a-4b5c-9a8b-1c2d3e4f5a6b',
      quantity: 0.125,
      note: 'quote " backslash \\ newline \n 仓库 📦',
      createdAt: new Date('2026-11-26T10:00:00.123Z'),
      batch: null,
      refId: undefined,
      barcodes: ['a', 'b'],
    };
    expect(storedCanonicalJson(doc)).toBe(reference(doc));
    expect(storedCanonicalJson(undefined)).toBeUndefined();
    expect(() => storedCanonicalJson(1n)).toThrow(TypeError);
  });
});
