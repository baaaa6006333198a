import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';
import { availableTabScreens, openTab } from './pages/main-screens.js';

const ITEMS = 8;
const env = freshServer(ITEMS);

test('item and location labels print: only the sheet on paper, codes in large monospace, a PDF renders', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const page = app.page;
  const print = availableTabScreens().find((s) => s.name === 'print');
  if (!print) throw new Error('no print screen');
  await openTab(page, 'en', print);

  await page.getByRole('radio', { name: 'Item labels' }).check();
  const sheet = page.getByTestId('label-sheet');
  await expect(sheet.locator('.label')).toHaveCount(ITEMS);
  // Only acme's items: the labels come from this tenant's local data.
  const codes = await sheet.locator('.label-code').allTextContents();
  expect(codes.every((c) => c.startsWith('ACME-') || /^\d+$/.test(c))).toBe(true);
  await page.getByLabel('SKU or name starts with').fill('ACME-000001');
  await expect(sheet.locator('.label')).toHaveCount(1);
  await page.getByLabel('SKU or name starts with').fill('');
  await expect(sheet.locator('.label')).toHaveCount(ITEMS);

  // On screen the app's chrome shows; in print media only the sheet does.
  await expect(page.locator('.topbar')).toBeVisible();
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.topbar')).toBeHidden();
  await expect(page.locator('nav.tabs')).toBeHidden();
  await expect(page.locator('.print-screen .no-print')).toBeHidden();
  await expect(sheet).toBeVisible();
  const font = await sheet
    .locator('.label-code')
    .first()
    .evaluate((el) => {
      const s = getComputedStyle(el);
      return { family: s.fontFamily, size: parseFloat(s.fontSize) };
    });
  expect(font.family).toMatch(/mono|Consolas/i);
  expect(font.size).toBeGreaterThanOrEqual(24);
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.length).toBeGreaterThan(2000);
  await page.emulateMedia({ media: 'screen' });

  // Location labels: every bin of the site, the barcode large.
  await page.getByRole('radio', { name: 'Location labels' }).check();
  await expect(page.getByRole('button', { name: 'Print…' })).toBeEnabled();
  const locations = page.getByTestId('label-sheet').locator('.label');
  await expect(locations.first()).toBeVisible();
  const firstCode = await locations.first().getAttribute('data-code');
  expect(firstCode).toBeTruthy();
  await page.emulateMedia({ media: 'print' });
  const pdf2 = await page.pdf({ format: 'A4' });
  expect(pdf2.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  await ctx.close();
});

test('an order prints as a pick list with suggested bins and the shortage, on paper and as PDF', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const page = app.page;
  const floor = new FloorPage(page);
  // An order for more than the stock of one SKU, typed and scanned on the outbound screen.
  const stock = await env.server.db
    .selectFrom('balances as b')
    .innerJoin('items as i', (j) =>
      j.onRef('i.id', '=', 'b.item_id').onRef('i.tenant_id', '=', 'b.tenant_id'),
    )
    .select(['b.location_id', 'b.quantity'])
    .where('i.sku', '=', 'ACME-000003')
    .where('b.tenant_id', '=', 'acme')
    .execute();
  const onHand = stock.reduce((s, r) => s + Number(r.quantity), 0);
  expect(onHand).toBeGreaterThan(0);
  await floor.open('outbound');
  await page.getByRole('button', { name: 'New order' }).focus();
  await page.keyboard.press('Enter');
  for (const v of ['SO-P1', 'Kim Retail', '1 Harbour Rd', 'Rotterdam', '3011', 'NL'])
    await floor.typeEnter(v);
  await floor.scanOk('order-lines-item', 'ACME-000003');
  await floor.typeEnter(String(onHand + 4));
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('button[data-number="SO-P1"]')).toBeVisible();

  const print = availableTabScreens().find((s) => s.name === 'print');
  if (!print) throw new Error('no print screen');
  await openTab(page, 'en', print);
  await page.getByRole('combobox', { name: 'Order', exact: true }).selectOption({ label: 'SO-P1' });
  const sheet = page.getByTestId('pick-list');
  await expect(sheet.locator('h2')).toHaveText('Pick list SO-P1');
  await expect(sheet).toContainText('Client: acme');
  const bins = sheet.locator('tbody tr[data-sku="ACME-000003"]:not(.short) td:first-child');
  expect((await bins.allTextContents()).sort()).toEqual(stock.map((r) => r.location_id).sort());
  await expect(sheet.locator('tr.short')).toContainText('Short by 4');
  // The customer's address is not on a pick list.
  await expect(sheet).not.toContainText('Harbour');

  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.topbar')).toBeHidden();
  await expect(sheet).toBeVisible();
  const pdf = await page.pdf({ format: 'A4' });
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  await ctx.close();
});
