import { describe, expect, it } from 'vitest';
import type { TenantDatabase } from '../../../renderer/data/database.js';
import { scanLookup } from '../../../renderer/features/floor/lookup.js';

type Doc = Record<string, unknown>;

/** Just enough of an RxDB collection for the lookups: equality selectors and `$exists`. */
function collection(docs: Doc[], schemaProps: string[] = []) {
  const matches = (d: Doc, selector: Record<string, unknown>) =>
    Object.entries(selector).every(([k, v]) =>
      v !== null && typeof v === 'object' && '$exists' in v
        ? k in d === (v as { $exists: boolean }).$exists
        : d[k] === v,
    );
  const wrap = (d: Doc) => ({ toJSON: () => d });
  return {
    schema: { jsonSchema: { properties: Object.fromEntries(schemaProps.map((p) => [p, {}])) } },
    findOne: (q: { selector: Record<string, unknown> }) => ({
      exec: () => Promise.resolve(docs.filter((d) => matches(d, q.selector)).map(wrap)[0] ?? null),
    }),
    find: (q?: { selector?: Record<string, unknown> }) => ({
      exec: () => Promise.resolve(docs.filter((d) => matches(d, q?.selector ?? {})).map(wrap)),
    }),
  };
}

const items = [
  { id: 'i1', sku: 'ACME-000001', name: 'Widget', barcode: '2010000000017', batchTracked: true },
  { id: 'i2', sku: 'ACME-000002', name: 'Gadget', barcode: null, barcodes: ['CASE-2', 'OLD-2'] },
];
const balances = [{ itemId: 'i1', locationId: 'A-02-01', batch: 'LOT-7', quantity: 3 }];
const movements = [{ itemId: 'i1', toLocationId: 'RCV-01', fromLocationId: null, batch: 'LOT-9' }];

const db = (locations: Doc[]) =>
  ({
    items: collection(items, ['sku', 'barcode', 'barcodes']),
    balances: collection(balances),
    movements: collection(movements),
    locations: collection(locations),
  }) as unknown as TenantDatabase;

describe('scan lookups over the partition', () => {
  it('items by SKU (any case), barcode and extra barcodes, with their tracking flags', async () => {
    const l = scanLookup(db([]));
    expect(await l.item('ACME-000001')).toMatchObject({ id: 'i1', batchTracked: true, expiryTracked: false });
    expect((await l.item('acme-000001'))?.id).toBe('i1');
    expect((await l.item('2010000000017'))?.id).toBe('i1');
    expect((await l.item('old-2'))?.id).toBe('i2');
    expect(await l.item('NOPE')).toBeNull();
  });
  it('batches the ledger knows', async () => {
    const l = scanLookup(db([]));
    expect(await l.batch('LOT-7')).toBe('LOT-7');
    expect(await l.batch('LOT-9')).toBe('LOT-9');
    expect(await l.batch('LOT-1')).toBeNull();
  });
  it('with location reference data: code or barcode, nothing else', async () => {
    const l = scanLookup(
      db([
        { id: 'A-02-01', barcode: 'L-0201', name: 'Aisle A', kind: 'storage' },
        { id: 'RCV-01', barcode: 'L-RCV1', name: 'Dock 1', kind: 'receiving' },
      ]),
    );
    expect(await l.location('l-rcv1')).toEqual({ locationId: 'RCV-01', name: 'Dock 1' });
    expect(await l.location('a-02-01')).toEqual({ locationId: 'A-02-01', name: 'Aisle A' });
    expect(await l.location('Z-99-99')).toBeNull();
  });
  it('without reference data: bins of the ledger are certain, other well-formed codes unverified, garbage refused', async () => {
    const l = scanLookup(db([]));
    expect(await l.location('a-02-01')).toEqual({ locationId: 'A-02-01' });
    expect(await l.location('RCV-01')).toEqual({ locationId: 'RCV-01' });
    expect(await l.location('z-99-99')).toEqual({ locationId: 'Z-99-99', unverified: true });
    expect(await l.location('no such bin!')).toBeNull();
  });
});
