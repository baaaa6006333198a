import { expect, test } from '@playwright/test';
import { balanceId } from '../../shared/domain/schemas.js';
import { stableUuid } from '../../server/db/seed.js';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';

const ITEMS = 8;
const env = freshServer(ITEMS);

test('an admin creates a bin by keyboard; an operator already at work puts away to it by scanning its barcode; a bin with stock cannot be deactivated', async ({
  browser,
}) => {
  // The operator is signed in first: the new bin must reach a running client (stream → pull).
  const op = await signedIn(browser, env.url, 'op.acme', ITEMS);
  await expect(op.app.page.locator('nav.tabs').getByRole('button', { name: 'Sites & bins' })).toHaveCount(0);

  const admin = await signedIn(browser, env.url, 'admin.acme', ITEMS);
  const page = admin.app.page;
  const tab = page.locator('nav.tabs').getByRole('button', { name: 'Sites & bins', exact: true });
  await tab.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Sites & bins', level: 2 })).toBeVisible();
  await expect(page.locator('tr[data-location="A-02-01"]').getByTestId('location-barcode')).toHaveText(
    'LOC-A-02-01',
  );

  // Create by keyboard only: New location, code, name, warehouse (kept), kind (kept), barcode, Enter.
  await page.getByRole('button', { name: 'New location' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Code', { exact: true })).toBeFocused();
  await page.keyboard.type('b-77-01'); // typed in lower case, stored as the code scanners send
  await page.keyboard.press('Tab');
  await page.keyboard.type('Overflow bay 77');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Barcode', { exact: true })).toBeFocused();
  await page.keyboard.type('BIN7701');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('sites-feedback')).toHaveText('Saved B-77-01.');
  const row = page.locator('tr[data-location="B-77-01"]');
  await expect(row).toContainText('Overflow bay 77');
  await expect(row.getByTestId('location-barcode')).toHaveText('BIN7701');

  // A duplicate barcode is refused with the server's reason; nothing is created.
  await page.getByRole('button', { name: 'New location' }).click();
  await page.getByLabel('Code', { exact: true }).fill('B-77-02');
  await page.getByLabel('Name', { exact: true }).fill('Clash');
  await page.getByLabel('Barcode', { exact: true }).fill('bin7701');
  await page.getByLabel('Barcode', { exact: true }).press('Enter');
  await expect(page.getByTestId('sites-feedback')).toContainText('Already taken');
  await expect(page.getByTestId('sites-feedback')).toContainText('B-77-01');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('location-editor')).toHaveCount(0);
  await expect(page.locator('tr[data-location="B-77-02"]')).toHaveCount(0);

  // The operator's running client receives the bin, and a scan of its barcode finds it.
  const floor = new FloorPage(op.app.page);
  await floor.open('masterData');
  await op.app.page.getByRole('button', { name: 'Locations', exact: true }).click();
  await expect(op.app.page.getByTestId('locations')).toContainText('BIN7701');
  await floor.open('receiving');
  await floor.scanInput('putaway-item').focus();
  await floor.scanOk('putaway-item', 'ACME-000001');
  await floor.scanOk('putaway-from', 'LOC-A-02-01', 'Location A-02-01');
  await floor.typeEnter('2');
  await floor.scanOk('putaway-to', 'BIN7701', 'Location B-77-01');
  await op.app.page.keyboard.press('Enter');
  await expect(op.app.page.locator('.putaway').getByTestId('floor-feedback')).toContainText(
    'Put away 2 × ACME-000001 from A-02-01 to B-77-01',
  );
  await op.app.expectPending(0);
  const balance = await env.server.db
    .selectFrom('balances')
    .select('quantity')
    .where('tenant_id', '=', 'acme')
    .where('id', '=', balanceId(stableUuid('acme/item/1'), 'B-77-01', null))
    .executeTakeFirst();
  expect(Number(balance?.quantity)).toBe(2);

  // Deactivating it now is confirmed, then refused by the server: it holds stock.
  await row.getByRole('button', { name: 'Deactivate B-77-01' }).focus();
  await page.keyboard.press('Enter');
  await new FloorPage(page).confirm('B-77-01', 'bay closed');
  await expect(page.getByTestId('sites-feedback')).toHaveText(
    'Refused: B-77-01 still holds stock. Move it or count it out first.',
  );
  await expect(row).toContainText('Active');

  await op.ctx.close();
  await admin.ctx.close();
});

test('an empty bin is deactivated after confirmation and its barcode stops scanning', async ({ browser }) => {
  const admin = await signedIn(browser, env.url, 'admin.acme', ITEMS);
  const page = admin.app.page;
  await page.locator('nav.tabs').getByRole('button', { name: 'Sites & bins', exact: true }).click();
  await page.getByRole('button', { name: 'New location' }).click();
  await page.getByLabel('Code', { exact: true }).fill('B-88-01');
  await page.getByLabel('Name', { exact: true }).fill('Temporary bay');
  await page.getByLabel('Name', { exact: true }).press('Enter');
  // Left empty, the barcode follows the label convention.
  const row = page.locator('tr[data-location="B-88-01"]');
  await expect(row.getByTestId('location-barcode')).toHaveText('LOC-B-88-01');

  const op = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const floor = new FloorPage(op.app.page);
  await floor.open('count');
  await floor.scanInput('count-target').focus();
  await floor.scanOk('count-target', 'LOC-B-88-01', 'Location B-88-01');

  // Cancelling the confirmation changes nothing; confirming deactivates.
  await row.getByRole('button', { name: 'Deactivate B-88-01' }).click();
  await expect(page.locator('dialog.confirm-dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('dialog.confirm-dialog')).toBeHidden();
  await expect(row).toContainText('Active');
  await row.getByRole('button', { name: 'Deactivate B-88-01' }).click();
  await new FloorPage(page).confirm('B-88-01', 'bay removed');
  await expect(page.getByTestId('sites-feedback')).toHaveText('Deactivated B-88-01.');
  await expect(row).toHaveCount(0); // inactive ones are hidden unless asked for
  await page.getByLabel('Show inactive').check();
  await expect(row).toContainText('Inactive');

  // The operator's client drops it: the barcode is unknown now.
  await expect(async () => {
    await floor.scanInput('count-target').focus();
    await floor.scan('count-target', 'LOC-B-88-01');
    await expect(floor.scanField('count-target').getByTestId('scan-error')).toContainText(
      'Unknown location code',
      { timeout: 2_000 },
    );
  }).toPass();
  await op.ctx.close();
  await admin.ctx.close();
});

test('a warehouse is created and renamed by keyboard; a blank code is refused before anything is sent', async ({
  browser,
}) => {
  const admin = await signedIn(browser, env.url, 'admin.acme', ITEMS);
  const page = admin.app.page;
  await page.locator('nav.tabs').getByRole('button', { name: 'Sites & bins', exact: true }).click();
  await page.getByRole('button', { name: 'New warehouse' }).focus();
  await page.keyboard.press('Enter');
  const editor = page.getByTestId('warehouse-editor');
  await expect(editor.getByLabel('Code', { exact: true })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.type('Cold store');
  await page.keyboard.press('Enter');
  // Nothing sent: the code is required, and the error is tied to its field.
  await expect(editor.getByLabel('Code', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(editor).toContainText('Required.');
  await expect(page.getByTestId('sites-feedback')).toHaveCount(0);
  await editor.getByLabel('Code', { exact: true }).fill('wh-cold');
  await editor.getByLabel('Name', { exact: true }).press('Enter');
  await expect(page.getByTestId('sites-feedback')).toHaveText('Saved WH-COLD.');
  await expect(page.locator('tr[data-warehouse="WH-COLD"]')).toContainText('Cold store');

  // Renamed: the code is fixed once created.
  await page.locator('tr[data-warehouse="WH-COLD"]').getByRole('button', { name: /Edit/ }).click();
  await expect(editor.getByLabel('Code', { exact: true })).toHaveAttribute('readonly', '');
  await editor.getByLabel('Name', { exact: true }).fill('Cold store 2');
  await editor.getByLabel('Name', { exact: true }).press('Enter');
  await expect(page.locator('tr[data-warehouse="WH-COLD"]')).toContainText('Cold store 2');
  await expect(editor).toHaveCount(0);
});
