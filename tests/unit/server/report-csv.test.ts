import { describe, expect, it } from 'vitest';
import { toCsv } from '../../../server/reports/export.js';
import type { ReportResult } from '../../../shared/api/reports.js';

const result = (columns: ReportResult['columns'], rows: ReportResult['rows']): ReportResult => ({
  report: 'inventory',
  tenants: ['acme'],
  tenantColumn: false,
  columns,
  rows,
});

describe('CSV export', () => {
  it('writes a header line, then one line per row, each ending in CRLF', () => {
    const csv = toCsv(
      result(
        [
          { key: 'sku', field: 'items.sku', label: 'SKU', type: 'string' },
          { key: 'onHand', field: 'balances.quantity', label: 'On hand', type: 'number' },
        ],
        [
          { sku: 'A-1', onHand: 3 },
          { sku: '=cmd()', onHand: null },
        ],
      ),
    );
    expect(csv).toBe('SKU,On hand\r\nA-1,3\r\n"\'=cmd()",\r\n');
  });

  // Found by the isolation property (seed 1866915366): a tenant policy that lets a role read no
  // column made papaparse drop the header line, so the first row was read as the header.
  it('keeps one line per row when the caller may read no column', () => {
    const csv = toCsv(result([], [{}, {}, {}]));
    const lines = csv.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines.slice(1)).toHaveLength(3);
  });
});
