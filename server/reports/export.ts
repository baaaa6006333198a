import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import type { ExportFormat, ReportColumn, ReportResult } from '../../shared/api/reports.js';

type Cell = string | number | null | undefined;

const cellsOf = (r: ReportResult, row: ReportResult['rows'][number]): Cell[] =>
  r.columns.map((c) => row[c.key]);

/**
 * The report as CSV (papaparse): a header of column labels, then one line per row, CRLF (RFC
 * 4180), ending with a line break. Text a spreadsheet would run as a formula is prefixed with `'`
 * (CSV injection); numbers stay numbers.
 */
export function toCsv(r: ReportResult): string {
  // papaparse leaves the header line out when there is no column (a role whose policy lets it read
  // none): keep the shape — an empty header line, then one empty line per row.
  if (r.columns.length === 0) return '\r\n'.repeat(r.rows.length + 1);
  const data = r.rows.map((row) => cellsOf(r, row).map((v) => (v === null || v === undefined ? '' : v)));
  const body = Papa.unparse(
    { fields: r.columns.map((c) => c.label), data },
    { newline: '\r\n', escapeFormulae: true, header: true },
  );
  return body + '\r\n';
}

const WIDTH_CAP = 60;

/**
 * The report as an XLSX workbook (exceljs): one sheet, a bold frozen header, numbers as numbers,
 * text as text (never a formula: exceljs writes plain strings as shared strings).
 */
export async function toXlsx(r: ReportResult, sheetName: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Bulkhead';
  const ws = wb.addWorksheet(sheetName.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = r.columns.map((c: ReportColumn) => ({
    header: c.label,
    key: c.key,
    width: Math.min(WIDTH_CAP, Math.max(c.label.length + 2, 10)),
    style: c.type === 'number' ? { numFmt: '#,##0.##' } : {},
  }));
  ws.getRow(1).font = { bold: true };
  for (const row of r.rows) {
    const values: Record<string, string | number | null> = {};
    for (const c of r.columns) {
      const v = row[c.key];
      if (v !== undefined && v !== null) values[c.key] = v;
    }
    ws.addRow(values);
  }
  const buf = await wb.xlsx.writeBuffer();
  return Buffer.from(buf);
}

/** Content type of an export format. */
export const CONTENT_TYPE: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
