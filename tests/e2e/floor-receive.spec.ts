import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';
import { pullAll } from './server-api.js';

const ITEMS = 20;
const env = freshServer(ITEMS);

test('an operator receives blind (no notice) by scanner while offline, sees it as unexpected, closes the receipt; after reconnecting the server has the movement with its receipt and the progress survives the sync', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const floor = new FloorPage(app.page);
  const page = app.page;
  await floor.open('receiving');
  await page.getByRole('button', { name: 'Blind receipt' }).focus();
  await page.keyboard.press('Enter');
  await floor.typeEnter('DN-77');
  await floor.typeEnter('Walk-in carrier'); // Enter on the last field starts the receipt
  await expect(page.locator('button[data-reference="DN-77"]')).toHaveAttribute('aria-pressed', 'true');

  // The scanner sends the item's barcode (not its SKU).
  const items = await pullAll(env.url, 'op.acme', 'acme', 'items');
  await ctx.setOffline(true);
  await app.expectOnline(false);
  const item = items.find((i) => i['sku'] === 'ACME-000005');
  const barcode = String(item?.['barcode']);
  await floor.scanOk('receive-item', barcode, 'ACME-000005');
  // Not batch- or expiry-tracked: straight to the quantity.
  await expect(page.locator('input[name="receive-batch"]')).toBeDisabled();
  await expect(page.locator('input[name="receive-qty"]')).toBeFocused();
  await floor.typeEnter('3');
  await page.keyboard.press('Enter'); // dock RCV-01
  await page.keyboard.press('Enter'); // receive
  await expect(page.locator('.receive-line').getByTestId('floor-feedback')).toContainText(
    'Received 3 × ACME-000005 into RCV-01',
  );
  const row = page.locator('[data-testid="receipt-lines"] tr[data-sku="ACME-000005"]');
  await expect(row).toHaveAttribute('data-state', 'unexpected');
  await expect(row.getByTestId('received')).toHaveText('3');
  await expect(page.getByTestId('receipt-summary')).toContainText('3 received of 0 expected');

  // Waiting on this PC: the movement and the receipt's new status.
  await expect(page.locator('.sync-status')).not.toHaveAttribute('data-pending', '0');
  await ctx.setOffline(false);
  await app.expectPending(0);
  // The server keeps the movement's receipt reference: pulled back, the line still counts.
  await expect(row.getByTestId('received')).toHaveText('3');
  await expect(page.getByTestId('receipt-summary')).toContainText('3 received of 0 expected');

  await page.getByRole('button', { name: 'Close receipt' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('receipts').getByTestId('floor-feedback')).toContainText(
    'Receipt DN-77 closed.',
  );
  await expect(page.locator('button[data-reference="DN-77"]')).toHaveCount(0);

  await expect
    .poll(
      async () =>
        (await pullAll(env.url, 'op.acme', 'acme', 'movements')).filter(
          (m) =>
            m['itemId'] === item?.['id'] &&
            m['type'] === 'receipt' &&
            m['toLocationId'] === 'RCV-01' &&
            typeof m['refId'] === 'string',
        ).length,
    )
    .toBe(1);
  await ctx.close();
});
