/**
 * The performance fast paths of issue #8 give exactly the answers of the plain code they replace:
 * `project` (per-key access table) against a per-field `fieldAccess` reference, and the counted
 * anomaly rules advanced incrementally (`advanceBursts`, as the server does per push) against the
 * original all-at-once burst grouping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entity, FieldOverrides, Role } from '../../../shared/access/policy.js';
import {
  DEFAULT_TENANT_SETTINGS,
  Entity as EntitySchema,
  FieldAccess as FieldAccessSchema,
  fieldAccess,
  governedFields,
  MASKED,
  project,
  Role as RoleSchema,
} from '../../../shared/access/policy.js';
import type { ActivityEvent, Burst } from '../../../shared/alerts/rules.js';
import { advanceBursts, emptyBurstState, evaluateAlerts } from '../../../shared/alerts/rules.js';

/** `project` as it was before the fast path: one `fieldAccess` per key of every document. */
function referenceProject(
  role: Role,
  entity: Entity,
  doc: Record<string, unknown>,
  overrides?: FieldOverrides,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    const a = fieldAccess(role, entity, k, overrides);
    if (a === 'r' || a === 'rw') out[k] = v;
    else if (a === 'masked') out[k] = v === null || v === undefined ? v : MASKED;
  }
  return out;
}

const MINUTE = 60_000;

/** The burst grouping as it was before the incremental version (rules.ts, first pass). */
function referenceBursts(times: number[], limit: { count: number; minutes: number }): Burst[] {
  const w = limit.minutes * MINUTE;
  const triggers: { at: number; windowStart: number }[] = [];
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    const t = times[hi] as number;
    while ((times[lo] as number) <= t - w) lo++;
    if (hi - lo + 1 > limit.count) triggers.push({ at: t, windowStart: times[lo] as number });
  }
  const out: Burst[] = [];
  let lastTrigger = -Infinity;
  let current: Burst | null = null;
  for (const tr of triggers) {
    const slot = Math.floor(tr.at / w);
    const continues = tr.at - lastTrigger <= w;
    lastTrigger = tr.at;
    if (current && (current.slot === slot || continues)) {
      current.end = tr.at;
      continue;
    }
    current = { start: tr.windowStart, end: tr.at, count: 0, slot };
    out.push(current);
  }
  for (const b of out) b.count = times.filter((t) => t >= b.start && t <= b.end).length;
  return out;
}

describe('project fast path', () => {
  const roles = RoleSchema.options;
  const entities = EntitySchema.options;
  const overridesArb = fc.option(
    fc.dictionary(
      fc.constantFrom(...entities),
      fc.dictionary(
        fc.constantFrom('*', 'purchasePrice', 'customerName', 'customerPhone', 'sku', 'note'),
        fc.dictionary(fc.constantFrom(...roles), fc.constantFrom(...FieldAccessSchema.options)),
      ),
    ),
    { nil: undefined },
  );
  const docArb = fc.dictionary(
    fc.oneof(
      fc.constantFrom('id', 'tenantId', 'seq', '_deleted', 'updatedAt', 'sku', 'purchasePrice'),
      fc.constantFrom('customerName', 'customerPhone', 'customerEmail', 'shipTo', 'quantity'),
      fc.constantFrom('constructor', 'toString', '__defineGetter__', 'hasOwnProperty'),
      fc.string({ maxLength: 12 }),
    ),
    fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined)),
  );

  it('gives the same document as a per-field fieldAccess, for any role, entity, overrides and keys', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...roles),
        fc.constantFrom(...entities),
        overridesArb,
        fc.array(docArb, { minLength: 1, maxLength: 5 }),
        (role, entity, overrides, docs) => {
          const o = overrides as FieldOverrides | undefined;
          for (const doc of docs) {
            const got = project(role, entity, doc, o);
            const want = referenceProject(role, entity, doc, o);
            expect(Object.keys(got)).toEqual(Object.keys(want));
            expect(got).toEqual(want);
          }
        },
      ),
      { numRuns: 400 },
    );
  }, 60_000);

  it('answers each overrides object on its own: a tighter policy in a new object is applied at once', () => {
    const doc = { id: 'i1', tenantId: 'acme', sku: 'S', purchasePrice: 3, seq: 1 };
    expect(project('admin', 'items', doc, {})).toEqual(doc);
    const tighter: FieldOverrides = { items: { purchasePrice: { admin: 'masked' } } };
    expect(project('admin', 'items', doc, tighter)).toEqual({ ...doc, purchasePrice: MASKED });
    const hidden: FieldOverrides = { items: { purchasePrice: { admin: '-' } } };
    expect(project('admin', 'items', doc, hidden)).toEqual({ id: 'i1', tenantId: 'acme', sku: 'S', seq: 1 });
    // The default matrix (no overrides) is still what it was.
    expect(project('manager', 'items', doc)).toEqual({ id: 'i1', tenantId: 'acme', sku: 'S', seq: 1 });
    expect(project('admin', 'items', doc, undefined)).toEqual(doc);
  });

  it('keeps answering correctly after more distinct keys than its table holds', () => {
    const overrides: FieldOverrides = { orders: { customerName: { operator: 'masked' } } };
    for (let i = 0; i < 600; i++) {
      const doc: Record<string, unknown> = { [`k${i}`]: i, customerName: 'Li', customerPhone: '1' };
      expect(project('operator', 'orders', doc, overrides)).toEqual(
        referenceProject('operator', 'orders', doc, overrides),
      );
    }
    expect(governedFields('orders')).toContain('customerName');
  });
});

describe('counted rules, advanced incrementally', () => {
  const limitArb = fc.record({
    count: fc.integer({ min: 1, max: 8 }),
    minutes: fc.integer({ min: 1, max: 5 }),
  });
  // Sorted times with many ties and gaps around the window length.
  const timesArb = fc
    .array(
      fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 400_000 })),
      {
        maxLength: 200,
      },
    )
    .map((steps) => {
      let t = Date.parse('2031-03-04T10:00:00.000Z');
      return steps.map((s) => (t += s));
    });

  it('finds the same bursts (start, end, count, slot) as the all-at-once grouping, however the times are split into pushes', () => {
    fc.assert(
      fc.property(
        timesArb,
        limitArb,
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 40 }),
        (times, limit, cuts) => {
          const want = referenceBursts(times, limit);
          const state = emptyBurstState(limit);
          const got: Burst[] = [];
          let i = 0;
          let c = 0;
          while (i < times.length) {
            const n = cuts[c++ % Math.max(1, cuts.length)] ?? times.length;
            const batch = times.slice(i, i + n);
            i += batch.length;
            // The state survives a round trip through JSON (it is stored as jsonb between pushes).
            const stored = JSON.parse(JSON.stringify(state)) as typeof state;
            Object.assign(state, stored);
            for (const b of advanceBursts(state, batch)) {
              const known = got.find((x) => x.slot === b.slot && x.start === b.start);
              if (known) Object.assign(known, b);
              else got.push({ ...b });
            }
          }
          expect(got).toEqual(want.map((b) => ({ ...b })));
        },
      ),
      { numRuns: 800 },
    );
  }, 60_000);

  it('evaluateAlerts still raises one rapid-changes alert for 41 changes in a minute, none for 40', () => {
    const base = Date.parse('2031-03-04T10:00:00.000Z');
    const ev = (n: number): ActivityEvent[] =>
      Array.from({ length: n }, (_, i) => ({
        tenantId: 't1',
        userId: 'u1',
        at: new Date(base + i * 1000).toISOString(),
        kind: 'change',
      }));
    const now = new Date(base + 3600_000);
    expect(evaluateAlerts(ev(40), DEFAULT_TENANT_SETTINGS, now)).toEqual([]);
    expect(evaluateAlerts(ev(41), DEFAULT_TENANT_SETTINGS, now)).toMatchObject([
      { rule: 'rapid-changes', count: 41 },
    ]);
  });

  it('refuses times that go back (the server then re-reads the window)', () => {
    const state = emptyBurstState({ count: 2, minutes: 1 });
    advanceBursts(state, [1000, 2000]);
    expect(() => advanceBursts(state, [1500])).toThrow(/must not decrease/);
  });
});
