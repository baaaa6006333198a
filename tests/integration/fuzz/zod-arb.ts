/**
 * fast-check arbitraries derived from zod schemas, and mutations that are guaranteed to make a
 * value invalid for its (strict) schema. Shared by the HTTP fuzz suite and the IPC fuzz test.
 *
 * Only the zod 4 shapes our contracts use are understood; anything else becomes arbitrary JSON,
 * which is still a fine fuzz input (it only means fewer "almost valid" values for that field).
 */
import fc from 'fast-check';
import type { z } from 'zod';

type Def = {
  type: string;
  format?: string;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  /** Tuples: the element schema of each position. */
  items?: z.ZodType[];
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  getter?: () => z.ZodType;
};

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

type Checks = {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  format?: string;
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  int?: boolean;
};

function checksOf(s: z.ZodType): Checks {
  const d = defOf(s);
  const out: Checks = {};
  if (d.format) out.format = d.format;
  for (const c of d.checks ?? []) {
    const cd = c._zod.def;
    switch (cd.check) {
      case 'min_length':
        out.minLength = cd.minimum as number;
        break;
      case 'max_length':
        out.maxLength = cd.maximum as number;
        break;
      case 'length_equals':
        out.minLength = out.maxLength = cd.length as number;
        break;
      case 'string_format':
        if (cd.format === 'regex' && cd.pattern instanceof RegExp) out.pattern = cd.pattern;
        else if (typeof cd.format === 'string') out.format = cd.format;
        break;
      case 'number_format':
        if (cd.format === 'safeint' || cd.format === 'int32' || cd.format === 'uint32') out.int = true;
        break;
      case 'greater_than':
        out.min = cd.value as number;
        out.minExclusive = cd.inclusive !== true;
        break;
      case 'less_than':
        out.max = cd.value as number;
        out.maxExclusive = cd.inclusive !== true;
        break;
      default:
        break;
    }
  }
  return out;
}

/** Strings that have broken real systems: NUL, lone surrogates, RTL, emoji, normalization, traversal. */
export const UNICODE_EDGES: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uDC00y\uD83D',
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  'שלום',
  '👩‍👩‍👧‍👦',
  '🦄💥',
  'e\u0301',
  '\u00E9',
  'Å',
  '\u212B',
  'İstanbul',
  'ß',
  'ﬀ',
  '\u200B\u200D\uFEFF',
  '\uFFFF\uFFFE',
  '\u2028\u2029',
  '\r\n\t\v\f',
  '\u001B[31m',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%00',
  '%2e%2e%2f',
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '',
  ' ',
  '中文测试',
  'Ｆｕｌｌｗｉｄｔｈ',
];

/** Arbitrary text: mostly edge cases and arbitrary code points (lone surrogates included). */
export const fuzzString = (maxLength = 80): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...UNICODE_EDGES) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...UNICODE_EDGES),
          fc.string({ maxLength: 8 }),
          fc.constantFrom(...UNICODE_EDGES),
        )
        .map(([a, b, c]) => a + b + c),
    },
  );

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'readonly')
      cur = d.innerType as z.ZodType;
    else if (d.type === 'pipe') cur = d.in as z.ZodType;
    else if (d.type === 'lazy' && d.getter) cur = d.getter();
    else return cur;
  }
  return cur;
}

const isOptional = (s: z.ZodType): boolean => {
  const t = defOf(s).type;
  if (t === 'optional' || t === 'default') return true;
  if (t === 'nullable' || t === 'readonly' || t === 'pipe') {
    const d = defOf(s);
    return isOptional((d.innerType ?? d.in) as z.ZodType);
  }
  return false;
};

const acceptsNull = (s: z.ZodType): boolean => {
  const d = defOf(s);
  if (d.type === 'nullable' || d.type === 'unknown' || d.type === 'any') return true;
  if (d.type === 'optional' || d.type === 'default' || d.type === 'readonly')
    return acceptsNull(d.innerType as z.ZodType);
  if (d.type === 'pipe') return acceptsNull(d.in as z.ZodType);
  if (d.type === 'union') return (d.options ?? []).some(acceptsNull);
  return false;
};

const isoDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

function stringArb(s: z.ZodType, text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const c = checksOf(s);
  if (c.format === 'uuid' || c.format === 'guid') return fc.uuid({ version: 4 });
  if (c.format === 'datetime' || c.format === 'date') return isoDate;
  if (c.format === 'url') return fc.webUrl();
  if (c.format === 'email') return fc.emailAddress();
  if (c.pattern) return fc.stringMatching(c.pattern);
  const min = c.minLength ?? 0;
  const max = Math.min(c.maxLength ?? 200, min + 200);
  return fc.oneof(text, fc.string({ minLength: min, maxLength: max })).map((v) => {
    // Keep to the length bounds so "valid-shape" values stay valid (edge strings included).
    let out = v;
    while (out.length < min) out += 'x';
    return out.length > max ? out.slice(0, max) : out;
  });
}

function numberArb(s: z.ZodType): fc.Arbitrary<number> {
  const c = checksOf(s);
  if (c.int) {
    const lo = c.min === undefined ? -1_000_000 : Math.ceil(c.min) + (c.minExclusive ? 1 : 0);
    const hi = c.max === undefined ? lo + 2_000_000 : Math.floor(c.max) - (c.maxExclusive ? 1 : 0);
    return fc.integer({ min: lo, max: Math.max(lo, hi) });
  }
  const lo = c.min ?? -1e9;
  const hi = c.max ?? 1e9;
  return fc
    .double({
      min: lo,
      max: hi,
      noNaN: true,
      noDefaultInfinity: true,
      minExcluded: c.minExclusive,
      maxExcluded: c.maxExclusive,
    })
    .map((n) => (Object.is(n, -0) ? 0 : n));
}

/** An arbitrary of values shaped by `schema` (refinements aside); strings come from `text`. */
export function arbFromSchema(
  schema: z.ZodType,
  text: fc.Arbitrary<string> = fuzzString(),
  depth = 0,
): fc.Arbitrary<unknown> {
  const d = defOf(schema);
  const rec = (s: z.ZodType): fc.Arbitrary<unknown> => arbFromSchema(s, text, depth + 1);
  switch (d.type) {
    case 'string':
      return stringArb(schema, text);
    case 'number':
      return numberArb(schema);
    case 'bigint':
      return fc.bigInt();
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'undefined':
    case 'void':
      return fc.constant(undefined);
    case 'literal':
      return fc.constantFrom(...(d.values ?? [null]));
    case 'enum':
      return fc.constantFrom(...Object.values(d.entries ?? { x: 'x' }));
    case 'nullable':
      return fc.option(rec(d.innerType as z.ZodType), { nil: null, freq: 4 });
    case 'optional':
    case 'default':
    case 'readonly':
      return rec(d.innerType as z.ZodType);
    case 'pipe':
      return rec(d.in as z.ZodType);
    case 'lazy':
      return depth > 4 ? fc.constant(null) : rec((d.getter as () => z.ZodType)());
    case 'union':
      return fc.oneof(...(d.options ?? []).map(rec));
    case 'array': {
      const c = checksOf(schema);
      const min = c.minLength ?? 0;
      return fc.array(rec(d.element as z.ZodType), {
        minLength: min,
        maxLength: Math.min(c.maxLength ?? 3, min + 3),
      });
    }
    case 'tuple':
      return fc.tuple(...(d.items ?? []).map(rec));
    case 'record': {
      const key = arbFromSchema(
        d.keyType as z.ZodType,
        fc.string({ minLength: 1, maxLength: 12 }),
        depth + 1,
      );
      return fc.dictionary(key as fc.Arbitrary<string>, rec(d.valueType as z.ZodType), {
        maxKeys: depth > 2 ? 1 : 3,
      });
    }
    case 'object': {
      const shape = d.shape ?? {};
      const arbs: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(shape)) {
        arbs[k] = rec(v);
        if (!isOptional(v)) required.push(k);
      }
      return fc.record(arbs, { requiredKeys: required });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A JSON path: object keys and array indexes. */
export type Path = (string | number)[];

type Slot = { path: Path; schema: z.ZodType; optional: boolean };

/** Every position of `value` that `schema` constrains (objects, arrays and their leaves). */
export function slots(schema: z.ZodType, value: unknown, path: Path = [], optional = false): Slot[] {
  const s = unwrap(schema);
  const d = defOf(s);
  const out: Slot[] = [{ path, schema, optional }];
  if (d.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(d.shape ?? {})) {
      if (k in (value as Record<string, unknown>))
        out.push(...slots(v, (value as Record<string, unknown>)[k], [...path, k], isOptional(v)));
    }
  } else if (d.type === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => out.push(...slots(d.element as z.ZodType, v, [...path, i])));
  }
  return out;
}

const kindOf = (s: z.ZodType): string => defOf(unwrap(s)).type;

function getAt(value: unknown, path: Path): unknown {
  let cur = value;
  for (const p of path) cur = (cur as Record<string | number, unknown>)[p];
  return cur;
}

/** `value` with the position `path` replaced (`undefined` removes an object key). */
export function setAt(value: unknown, path: Path, next: unknown): unknown {
  if (path.length === 0) return next;
  const [head, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(value)) {
    const copy: unknown[] = [...(value as unknown[])];
    copy[head as number] = setAt(copy[head as number], rest, next);
    return copy;
  }
  const obj = { ...(value as Record<string, unknown>) };
  const v = setAt(obj[head as string], rest, next);
  if (v === undefined && rest.length === 0) delete obj[head as string];
  else obj[head as string] = v;
  return obj;
}

/** A request body as sent: JSON text (possibly not JSON at all) and its content type. */
export type RawBody = { text: string; contentType: string; mutation: string };

const DEEP = '"__fuzz_deep__"';

/** Nested arrays/objects `depth` levels deep, as JSON text (built as text: no recursion anywhere). */
export const deepJson = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const json = (v: unknown, mutation: string): RawBody => ({
  text: JSON.stringify(v),
  contentType: 'application/json',
  mutation,
});

const typeSwaps: Record<string, unknown[]> = {
  string: [42, -1.5, true, {}, [], ['x']],
  number: ['12', 'NaN', true, {}, [1]],
  boolean: ['true', 0, 1, {}, []],
  enum: [0, true, {}, ['x']],
  literal: [123456789, {}, []],
  object: ['{}', 7, true, [], [{}]],
  array: ['[]', 3, {}, { 0: 'x' }],
  record: ['{}', 5, [], true],
};

/**
 * Mutations of a schema-valid `value` that the strict `schema` must refuse: wrong types,
 * missing required fields, extra fields, strings and arrays over their limits, deep nesting,
 * unicode in formatted fields, numbers out of range, non-objects, broken JSON and content types.
 */
export function invalidBody(schema: z.ZodType, value: unknown): fc.Arbitrary<RawBody> {
  const all = slots(schema, value);
  const typed = all.filter((s) => s.path.length > 0 && kindOf(s.schema) in typeSwaps);
  const requiredSlots = all.filter(
    (s) => s.path.length > 0 && !s.optional && typeof s.path[s.path.length - 1] === 'string',
  );
  const strictObjects = all.filter((s) => {
    const d = defOf(unwrap(s.schema));
    return d.type === 'object' && d.catchall !== undefined && defOf(d.catchall).type === 'never';
  });
  const boundedStrings = all.filter(
    (s) => kindOf(s.schema) === 'string' && checksOf(unwrap(s.schema)).maxLength !== undefined,
  );
  const formatted = all.filter((s) => {
    const u = unwrap(s.schema);
    const k = kindOf(u);
    const c = checksOf(u);
    return (
      k === 'enum' ||
      (k === 'string' && (c.pattern !== undefined || (c.format !== undefined && c.format !== 'regex')))
    );
  });
  const boundedArrays = all.filter(
    (s) => kindOf(s.schema) === 'array' && checksOf(unwrap(s.schema)).maxLength !== undefined,
  );
  const numbers = all.filter((s) => kindOf(s.schema) === 'number');

  const options: fc.Arbitrary<RawBody>[] = [
    // The whole body is not an object.
    fc
      .constantFrom<unknown>(null, 0, -1, 'string', true, [], [value], '\u0000', 1e308)
      .map((v) => json(v, 'not-an-object')),
    // Not JSON, or not declared as JSON.
    fc
      .constantFrom(
        { text: '{', contentType: 'application/json' },
        { text: '{"a":1,}', contentType: 'application/json' },
        { text: "{'a':1}", contentType: 'application/json' },
        { text: '\uFEFF{}', contentType: 'application/json' },
        { text: '{"a":NaN}', contentType: 'application/json' },
        { text: '{"__proto__":{"isAdmin":true}}', contentType: 'application/json' },
        { text: '{"constructor":{"prototype":{"x":1}}}', contentType: 'application/json' },
        { text: '', contentType: 'application/json' },
        { text: 'null', contentType: 'application/json' },
        { text: JSON.stringify(value), contentType: 'text/plain' },
        { text: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
        { text: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x' },
        { text: JSON.stringify(value), contentType: 'application/xml' },
      )
      .map((b) => ({ ...b, mutation: 'not-json' })),
  ];
  if (typed.length > 0)
    options.push(
      fc.constantFrom(...typed).chain((slot) =>
        fc
          .constantFrom(...(typeSwaps[kindOf(slot.schema)] ?? [{}]))
          .filter((v) => !(v === null && acceptsNull(slot.schema)))
          .map((v) => json(setAt(value, slot.path, v), `wrong-type:${slot.path.join('.')}`)),
      ),
      // Deep nesting where a scalar or a shaped object belongs.
      fc
        .tuple(
          fc.constantFrom(...typed),
          fc.integer({ min: 64, max: 20_000 }),
          fc.constantFrom<'array' | 'object'>('array', 'object'),
        )
        .map(([slot, depth, kind]) => {
          const text = JSON.stringify(setAt(value, slot.path, '__fuzz_deep__')).replace(
            DEEP,
            deepJson(depth, kind),
          );
          return { text, contentType: 'application/json', mutation: `deep-nesting:${slot.path.join('.')}` };
        }),
    );
  if (requiredSlots.length > 0)
    options.push(
      fc
        .constantFrom(...requiredSlots)
        .map((slot) => json(setAt(value, slot.path, undefined), `missing:${slot.path.join('.')}`)),
    );
  if (strictObjects.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...strictObjects),
          fc.constantFrom('extra', 'isAdmin', 'tenant_id', 'role', '\u0000', '👀', 'prototype'),
          fuzzString(20),
        )
        .map(([slot, key, v]) => {
          const target = getAt(value, slot.path);
          return json(
            setAt(value, slot.path, { ...(target as object), [key]: v }),
            `extra-field:${slot.path.join('.')}`,
          );
        }),
    );
  if (boundedStrings.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...boundedStrings),
          fc.integer({ min: 1, max: 200_000 }),
          fc.constantFrom('x', '\u0000', '😀', '\uD800', 'é', '\u202E'),
        )
        .map(([slot, over, unit]) => {
          const max = checksOf(unwrap(slot.schema)).maxLength ?? 0;
          // zod counts code points: repeat the unit itself past the limit, whatever its UTF-16 length.
          const n = Math.min(max + over, 200_000);
          return json(setAt(value, slot.path, unit.repeat(n + 1)), `huge-string:${slot.path.join('.')}`);
        }),
    );
  if (formatted.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...formatted),
          fc.constantFrom(...UNICODE_EDGES.filter((u) => !/^[a-z0-9][a-z0-9-]{1,31}$/.test(u))),
        )
        .map(([slot, u]) => json(setAt(value, slot.path, u), `bad-format:${slot.path.join('.')}`)),
    );
  if (boundedArrays.length > 0)
    options.push(
      fc.constantFrom(...boundedArrays).map((slot) => {
        const max = checksOf(unwrap(slot.schema)).maxLength ?? 0;
        const cur = getAt(value, slot.path) as unknown[];
        const filler = cur.length > 0 ? cur[0] : {};
        return json(
          setAt(
            value,
            slot.path,
            Array.from({ length: max + 1 }, () => filler),
          ),
          `huge-array:${slot.path.join('.')}`,
        );
      }),
    );
  if (numbers.length > 0)
    options.push(
      fc.tuple(fc.constantFrom(...numbers), fc.constantFrom('1e999', '-1e999')).map(([slot, n]) => {
        const text = JSON.stringify(setAt(value, slot.path, '__fuzz_deep__')).replace(DEEP, n);
        return { text, contentType: 'application/json', mutation: `infinite-number:${slot.path.join('.')}` };
      }),
    );
  return fc.oneof(...options);
}

/** A value nested `depth` levels deep (built iteratively). */
export function deepValue(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/**
 * Value-level mutations (for IPC, where payloads are structured clones, not JSON text) that the
 * strict `schema` must refuse: wrong types, missing and extra fields, strings over their limit,
 * unicode in formatted fields, deep nesting, non-objects, and values JSON cannot even express.
 */
export function invalidValue(
  schema: z.ZodType,
  value: unknown,
): fc.Arbitrary<{ value: unknown; mutation: string }> {
  const root = defOf(unwrap(schema)).type;
  if (root === 'undefined' || root === 'void')
    return fc
      .oneof(
        fc.anything({
          maxDepth: 3,
          maxKeys: 4,
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withNullPrototype: true,
        }),
        fc.constantFrom<unknown>(null, 0, '', false, NaN, [], {}, deepValue(5000, 'object')),
      )
      .filter((v) => v !== undefined)
      .map((v) => ({ value: v, mutation: 'payload-where-none' }));
  const all = slots(schema, value);
  const typed = all.filter((s) => kindOf(s.schema) in typeSwaps);
  const requiredSlots = all.filter(
    (s) => s.path.length > 0 && !s.optional && typeof s.path[s.path.length - 1] === 'string',
  );
  const strictObjects = all.filter((s) => {
    const d = defOf(unwrap(s.schema));
    return d.type === 'object' && d.catchall !== undefined && defOf(d.catchall).type === 'never';
  });
  const boundedStrings = all.filter(
    (s) => kindOf(s.schema) === 'string' && checksOf(unwrap(s.schema)).maxLength !== undefined,
  );
  const formatted = all.filter((s) => {
    const u = unwrap(s.schema);
    const c = checksOf(u);
    return (
      kindOf(u) === 'enum' ||
      (kindOf(u) === 'string' &&
        (c.pattern !== undefined || (c.format !== undefined && c.format !== 'regex')))
    );
  });
  const exotic: unknown[] = [
    NaN,
    Infinity,
    -0,
    10n,
    new Date(0),
    new Map([['key', 'x']]),
    new Set(['x']),
    new Uint8Array([1, 2]),
    Object.create(null) as object,
    [undefined],
  ];
  const options: fc.Arbitrary<{ value: unknown; mutation: string }>[] = [
    fc
      .constantFrom<unknown>(undefined, null, 0, 'refresh:user-1', true, [], [value], ...exotic)
      .map((v) => ({ value: v, mutation: 'not-an-object' })),
  ];
  if (typed.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...typed),
          fc.constantFrom(...exotic, 42, true, {}, [], deepValue(3000, 'array'), deepValue(3000, 'object')),
        )
        .map(([slot, v]) => ({
          value: setAt(value, slot.path, v),
          mutation: `wrong-type:${slot.path.join('.')}`,
        })),
    );
  if (requiredSlots.length > 0)
    options.push(
      fc.constantFrom(...requiredSlots).map((slot) => ({
        value: setAt(value, slot.path, undefined),
        mutation: `missing:${slot.path.join('.')}`,
      })),
    );
  if (strictObjects.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...strictObjects),
          fc.constantFrom('extra', '__proto__', 'constructor', 'then', '\u0000'),
          fuzzString(20),
        )
        .map(([slot, key, v]) => {
          const target = { ...(getAt(value, slot.path) as object) };
          // An own "__proto__" key, as a structured clone can deliver it (not a prototype change).
          Object.defineProperty(target, key, {
            value: v,
            enumerable: true,
            configurable: true,
            writable: true,
          });
          return { value: setAt(value, slot.path, target), mutation: `extra-field:${slot.path.join('.')}` };
        }),
    );
  if (boundedStrings.length > 0)
    options.push(
      fc
        .tuple(
          fc.constantFrom(...boundedStrings),
          fc.integer({ min: 1, max: 100_000 }),
          fc.constantFrom('x', '\u0000', '😀', '\uD800'),
        )
        .map(([slot, over, unit]) => ({
          value: setAt(value, slot.path, unit.repeat((checksOf(unwrap(slot.schema)).maxLength ?? 0) + over)),
          mutation: `huge-string:${slot.path.join('.')}`,
        })),
    );
  if (formatted.length > 0)
    options.push(
      fc
        .tuple(fc.constantFrom(...formatted), fc.oneof(fc.constantFrom(...UNICODE_EDGES), fuzzString(40)))
        .filter(([slot, u]) => !unwrap(slot.schema).safeParse(u).success)
        .map(([slot, u]) => ({
          value: setAt(value, slot.path, u),
          mutation: `bad-format:${slot.path.join('.')}`,
        })),
    );
  return fc.oneof(...options);
}
