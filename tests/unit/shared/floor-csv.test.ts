import { describe, expect, it } from 'vitest';
import { parseCsv, parseItemsCsv } from '../../../shared/domain/floor.js';

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas and newlines inside quotes, CRLF and a BOM', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n"multi\nline",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
    ]);
  });
});

describe('parseItemsCsv', () => {
  it('parses a good file into rows with typed values', () => {
    const r = parseItemsCsv(
      'sku,name,uom,barcode,barcodes,weightKg,batchTracked,expiryTracked,minStock,purchasePrice\n' +
        'MILK-1,Milk 1L,pc,690001,690002|690003,1.03,yes,yes,10,0.8\n' +
        'BOLT-8,"Bolt M8, zinc",box,,,,no,,,\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([
      {
        sku: 'MILK-1',
        name: 'Milk 1L',
        uom: 'pc',
        barcode: '690001',
        barcodes: ['690002', '690003'],
        lengthCm: null,
        widthCm: null,
        heightCm: null,
        weightKg: 1.03,
        batchTracked: true,
        expiryTracked: true,
        minStock: 10,
        purchasePrice: 0.8,
      },
      expect.objectContaining({ sku: 'BOLT-8', name: 'Bolt M8, zinc', barcode: null, batchTracked: false }),
    ]);
  });

  it('reports every bad cell with its row and field', () => {
    const r = parseItemsCsv(
      'sku,name,uom,weightKg,batchTracked\n' +
        'A,Apple,pc,heavy,yes\n' +
        ',No sku,pc,,\n' +
        'C,Carrot,pc,-2,maybe\n',
    );
    expect(r.errors.map((e) => [e.row, e.field])).toEqual([
      [2, 'weightKg'],
      [3, 'sku'],
      [4, 'batchTracked'],
      [4, 'weightKg'],
    ]);
    expect(r.errors[0]?.message).toBe('"heavy" is not a number');
    expect(r.errors[2]?.message).toBe('"maybe" is not yes/no');
    expect(r.rows).toEqual([]);
  });

  it('finds duplicates within the file and against existing items (SKU case-insensitive)', () => {
    const r = parseItemsCsv(
      'sku,name,uom,barcode\nA,a,pc,111\nb,b,pc,111\na,again,pc,\nOLD,old,pc,\nN,n,pc,999\n',
      {
        skus: ['old'],
        barcodes: ['999'],
      },
    );
    expect(r.errors).toEqual([
      { row: 3, field: 'barcode', message: 'barcode "111" repeats row 2' },
      { row: 4, field: 'sku', message: 'SKU "a" repeats row 2' },
      { row: 5, field: 'sku', message: 'SKU "OLD" already exists' },
      { row: 6, field: 'barcode', message: 'barcode "999" already exists' },
    ]);
  });

  it('requires the sku, name and uom columns and refuses unknown ones', () => {
    const r = parseItemsCsv('sku,title,uom\nA,Apple,pc\n');
    expect(r.rows).toEqual([]);
    expect(r.errors).toEqual([
      {
        row: 1,
        field: 'title',
        message: 'unknown column "title"',
        code: 'unknownColumn',
        params: { column: 'title' },
      },
      {
        row: 1,
        field: 'name',
        message: 'required column "name" is missing',
        code: 'missingColumn',
        params: { column: 'name' },
      },
    ]);
  });

  it('an empty file, a header-only file and a row with too many cells are errors', () => {
    expect(parseItemsCsv('').errors).toEqual([
      { row: 1, field: '', message: 'the file is empty', code: 'empty' },
    ]);
    expect(parseItemsCsv('sku,name,uom\n\n').errors).toEqual([
      { row: 2, field: '', message: 'the file has no items', code: 'noItems' },
    ]);
    expect(parseItemsCsv('sku,name,uom\nA,b,c,d\n').errors[0]).toMatchObject({ row: 2, field: '' });
  });

  it('skips blank lines but keeps row numbers true to the file', () => {
    const r = parseItemsCsv('sku,name,uom\nA,a,pc\n\nB,b,\n');
    expect(r.errors.map((e) => [e.row, e.field])).toEqual([[4, 'uom']]);
  });
});
