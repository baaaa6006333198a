import { readFile } from 'node:fs/promises';
import { expect, test, type Download, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import type { AuditPage } from '../../shared/api/audit.js';
import { freshServer, signedIn } from './fixtures.js';
import { apiAs } from './server-api.js';

const ITEMS = 12;
const env = freshServer(ITEMS);

type Sheet = { header: string[]; rows: string[][] };

async function parseCsvDownload(d: Download): Promise<Sheet> {
  const parsed = Papa.parse<string[]>(await readFile(await d.path(), 'utf8'), { skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  const [header, ...rows] = parsed.data;
  return { header: header ?? [], rows };
}

async function parseXlsxDownload(d: Download): Promise<Sheet> {
  const wb = new ExcelJS.Workbook();
  const bytes = await readFile(await d.path());
  await wb.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const ws = wb.worksheets[0];
  if (!ws) throw new Error('no sheet in the workbook');
  const all: string[][] = [];
  ws.eachRow((row) => {
    const cells: string[] = [];
    for (let c = 1; c <= ws.columnCount; c++) {
      const v = row.getCell(c).value;
      cells.push(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    all.push(cells);
  });
  const [header, ...rows] = all;
  return { header: header ?? [], rows };
}

/** Purchase prices per tenant with a fraction (integer prices could be read as quantities). */
async function fractionalPrices(tenant: string): Promise<Set<string>> {
  const rows = await env.server.db
    .selectFrom('items')
    .select('purchase_price')
    .where('tenant_id', '=', tenant)
    .execute();
  return new Set(
    rows
      .map((r) => Number(r.purchase_price))
      .filter((p) => !Number.isInteger(p))
      .map((p) => String(p)),
  );
}

/** What a sheet must never hold for a reader without purchase-price read, and only `tenants`' rows. */
async function expectClean(sheet: Sheet, tenants: string[], tenantColumn: boolean): Promise<void> {
  expect(
    sheet.header.some((h) => /purchase|price|value/i.test(h)),
    sheet.header.join(','),
  ).toBe(false);
  expect(sheet.rows.length).toBeGreaterThan(0);
  const sku = sheet.header.indexOf('SKU');
  expect(sku).toBeGreaterThanOrEqual(0);
  const prefixes = tenants.map((t) => ({ acme: 'ACME-', globex: 'GLBX-', initech: 'INIT-' })[t] ?? '?');
  for (const r of sheet.rows)
    expect(
      prefixes.some((p) => (r[sku] ?? '').startsWith(p)),
      r.join(','),
    ).toBe(true);
  const prices = new Set<string>();
  for (const t of tenants) for (const p of await fractionalPrices(t)) prices.add(p);
  for (const r of sheet.rows)
    for (const cell of r) expect(prices.has(cell), `price ${cell} leaked`).toBe(false);
  if (tenantColumn) {
    expect(sheet.header[0]).toBe('Tenant');
    expect(new Set(sheet.rows.map((r) => r[0]))).toEqual(new Set(tenants));
  } else expect(sheet.header).not.toContain('Tenant');
  const all = JSON.stringify(sheet.rows);
  for (const foreign of ['acme', 'globex', 'initech'].filter((t) => !tenants.includes(t)))
    expect(all).not.toContain(foreign);
}

async function exportAs(page: Page, format: 'csv' | 'xlsx'): Promise<Download> {
  const button = page.locator(`.reports button.export[data-format="${format}"]`);
  await expect(button).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  await expect(page.locator('.reports p.ok[role="status"]')).toContainText(download.suggestedFilename());
  return download;
}

async function exportEntries(username: string, tenant: string) {
  const api = await apiAs(env.url, username);
  const page = await api.call<AuditPage>('GET', `/api/t/${tenant}/audit?limit=50`);
  return page.entries.filter((e) => e.action === 'export' && e.actorId === api.userId);
}

test('the manager of acme and globex exports CSV and XLSX: no price, no initech, tenant column, audited', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const page = app.page;
  await page.locator('nav.tabs').getByRole('button', { name: 'Reports', exact: true }).click();
  await expect(page.getByTestId('report-count')).toHaveText(`${ITEMS} rows`);
  // Valuation is not offered to a manager (no purchase-price read).
  await expect(page.getByTestId('report-select').locator('option[value="valuation"]')).toHaveCount(0);

  // acme alone: one tenant, no tenant column.
  const csvOne = await parseCsvDownload(await exportAs(page, 'csv'));
  await expectClean(csvOne, ['acme'], false);
  expect(csvOne.rows).toHaveLength(ITEMS);

  // acme and globex: the cross-tenant export with the tenant column, in both formats.
  await page.locator('.tenant-picker input[data-tenant="globex"]').check();
  await expect(page.getByTestId('report-count')).toHaveText(`${2 * ITEMS} rows`);
  const csv = await exportAs(page, 'csv');
  expect(csv.suggestedFilename()).toMatch(/^inventory-acme\+globex-\d{4}-\d{2}-\d{2}\.csv$/);
  const csvBoth = await parseCsvDownload(csv);
  await expectClean(csvBoth, ['acme', 'globex'], true);
  expect(csvBoth.rows).toHaveLength(2 * ITEMS);

  // Another report with filters: movement history, receipts only; the export carries the filter.
  await page.getByTestId('report-select').selectOption('movements');
  await page.getByLabel('Movement type').selectOption('receipt');
  await expect(page.getByTestId('report-table')).toHaveAttribute('data-report', 'movements');
  const xlsx = await exportAs(page, 'xlsx');
  expect(xlsx.suggestedFilename()).toMatch(/^movements-acme\+globex-.*\.xlsx$/);
  const sheet = await parseXlsxDownload(xlsx);
  await expectClean(sheet, ['acme', 'globex'], true);
  const type = sheet.header.indexOf('Type');
  expect(new Set(sheet.rows.map((r) => r[type]))).toEqual(new Set(['receipt']));

  // Every export is in the audit log of every tenant it covered, with its filters and row count.
  const acme = await exportEntries('mgr', 'acme');
  const globex = await exportEntries('mgr', 'globex');
  expect(acme.map((e) => (e.after as { format: string }).format).sort()).toEqual(['csv', 'csv', 'xlsx']);
  expect(globex).toHaveLength(2);
  const mv = globex.find((e) => e.entityId === 'movements');
  expect(mv?.after).toMatchObject({
    report: 'movements',
    format: 'xlsx',
    filters: { type: 'receipt' },
    tenants: ['acme', 'globex'],
  });
  expect((mv?.after as { rows: number }).rows).toBe(sheet.rows.filter((r) => r[0] === 'globex').length);
  // initech saw nothing of it.
  const initech = await env.server.db
    .selectFrom('audit_log')
    .select('id')
    .where('tenant_id', '=', 'initech')
    .where('action', '=', 'export')
    .execute();
  expect(initech).toEqual([]);
  await ctx.close();
});

test('finance sees the valuation with prices; an operator cannot export at all', async ({ browser }) => {
  const fin = await signedIn(browser, env.url, 'fin.acme', ITEMS);
  await fin.app.page.locator('nav.tabs').getByRole('button', { name: 'Reports', exact: true }).click();
  await fin.app.page.getByTestId('report-select').selectOption('valuation');
  await expect(fin.app.page.getByTestId('report-table').locator('th[data-column="value"]')).toBeVisible();
  const sheet = await parseXlsxDownload(await exportAs(fin.app.page, 'xlsx'));
  // The positive control of the checks above: where prices are allowed, they are there.
  expect(sheet.header).toEqual(['SKU', 'Name', 'UoM', 'On hand', 'Purchase price', 'Value']);
  const prices = await fractionalPrices('acme');
  expect(sheet.rows.some((r) => prices.has(r[4] ?? ''))).toBe(true);
  await fin.ctx.close();

  const op = await signedIn(browser, env.url, 'op.acme', ITEMS);
  await op.app.page.locator('nav.tabs').getByRole('button', { name: 'Reports', exact: true }).click();
  await expect(op.app.page.getByTestId('report-count')).toHaveText(`${ITEMS} rows`);
  await expect(op.app.page.locator('.reports button.export[data-format="csv"]')).toBeDisabled();
  await expect(op.app.page.locator('.reports button.export[data-format="xlsx"]')).toBeDisabled();
  await op.ctx.close();
});
