import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';
import { pullAll } from './server-api.js';

const ITEMS = 30;
const env = freshServer(ITEMS);

const csv = (rows: string[]) => Buffer.from(rows.join('\r\n'), 'utf8');

test('item CSV import: a binary file and a bad file are refused and import nothing; a good file imports all', async ({
  browser,
}) => {
  const serverCount = async () => (await pullAll(env.url, 'admin.acme', 'acme', 'items')).length;
  expect(await serverCount()).toBe(ITEMS);
  const { ctx, app } = await signedIn(browser, env.url, 'admin.acme', ITEMS);
  const floor = new FloorPage(app.page);
  const page = app.page;
  await floor.open('masterData');
  await page.getByRole('button', { name: 'Import CSV' }).focus();
  await page.keyboard.press('Enter');
  const pane = page.getByTestId('item-import');
  const file = pane.locator('input[name="import-file"]');
  const importButton = pane.getByRole('button', { name: /^Import \d+ item/ });

  // A binary file (PNG bytes) is refused as a whole with a clear message; nothing to import.
  const png = Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0,
    0, 1,
  ]);
  await file.setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: png });
  await expect(pane.getByTestId('import-summary')).toHaveText('0 valid row(s), 1 error(s).');
  await expect(pane.getByTestId('import-errors')).toHaveText(
    'This is not a text file (it holds binary data, such as an image or an .xlsx workbook). Choose a CSV file.',
  );
  await expect(page.getByTestId('floor-feedback')).toContainText('Nothing was imported');
  await expect(importButton).toBeDisabled();
  expect(await serverCount()).toBe(ITEMS);

  // Four good rows and three bad ones: missing name, an existing SKU, a bad number.
  await file.setInputFiles({
    name: 'items-bad.csv',
    mimeType: 'text/csv',
    buffer: csv([
      'sku,name,uom,barcode,batchTracked,expiryTracked,minStock',
      'NEW-001,New thing 1,pcs,9990000000011,yes,no,5',
      'NEW-002,,pcs,,no,no,',
      'ACME-000001,Clash,pcs,,no,no,',
      'NEW-004,New thing 4,pcs,,no,no,lots',
      'NEW-005,New thing 5,box,,no,yes,',
      'NEW-006,New thing 6,box,,no,no,',
      'NEW-007,New thing 7,box,,no,no,',
    ]),
  });
  await expect(pane.getByTestId('import-summary')).toHaveText('4 valid row(s), 3 error(s).');
  const errors = pane.getByTestId('import-errors');
  await expect(errors).toContainText('Row 3, name');
  await expect(errors).toContainText('Row 4, sku: SKU "ACME-000001" already exists');
  await expect(errors).toContainText('Row 5, minStock');
  await expect(pane.locator('tr.row-error[data-row="3"]')).toBeVisible();
  await expect(page.getByTestId('floor-feedback')).toContainText('Nothing was imported');
  await expect(importButton).toBeDisabled();

  // Nothing changed, locally or on the server.
  await page.locator('nav.tabs').getByRole('button', { name: 'Inventory' }).click();
  await app.waitForItems(ITEMS);
  await app.search('NEW-');
  await expect(page.locator('[role="row"][data-sku]')).toHaveCount(0);
  expect(await serverCount()).toBe(ITEMS);

  // A good file is imported in full, with the floor fields, and reaches the server.
  await floor.open('masterData');
  await page.getByRole('button', { name: 'Import CSV' }).click();
  await pane.locator('input[name="import-file"]').setInputFiles({
    name: 'items-good.csv',
    mimeType: 'text/csv',
    buffer: csv([
      'sku,name,uom,barcode,batchTracked,expiryTracked,minStock',
      'NEW-001,New thing 1,pcs,9990000000011,yes,no,5',
      'NEW-002,"New thing 2, boxed",box,,no,yes,',
    ]),
  });
  await expect(pane.getByTestId('import-summary')).toHaveText('2 valid row(s), 0 error(s).');
  await expect(pane.getByTestId('import-preview')).toContainText('New thing 2, boxed');
  await expect(importButton).toBeEnabled();
  await importButton.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('floor-feedback')).toContainText('Imported 2 item(s)');
  await app.expectPending(0);
  await expect.poll(serverCount).toBe(ITEMS + 2);
  const imported = (await pullAll(env.url, 'admin.acme', 'acme', 'items')).find(
    (i) => i['sku'] === 'NEW-001',
  );
  expect(imported).toMatchObject({ name: 'New thing 1', uom: 'pcs', barcode: '9990000000011' });
  await page.locator('nav.tabs').getByRole('button', { name: 'Inventory' }).click();
  await app.waitForItems(ITEMS + 2);
  await ctx.close();
});
