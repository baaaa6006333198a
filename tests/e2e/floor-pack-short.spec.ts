import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';

const ITEMS = 40;
const env = freshServer(ITEMS);
const SKU = 'ACME-000004';
const ORDERED = 1000; // more than the seeded stock of any item

test('pack short: offered below the ordered quantity, confirmed with the shortage stated, audited, shortage stays on the order', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const floor = new FloorPage(app.page);
  const page = app.page;

  await floor.open('outbound');
  await page.getByRole('button', { name: 'New order' }).focus();
  await page.keyboard.press('Enter');
  for (const v of ['SO-S1', 'Short Buyer', '5 Quay St', 'Hull', '', 'UK']) await floor.typeEnter(v);
  await floor.scanOk('order-lines-item', SKU);
  await floor.typeEnter(String(ORDERED));
  await page.keyboard.press('Control+Enter');
  await page.locator('button[data-number="SO-S1"]').focus();
  await page.keyboard.press('Enter');
  const panel = page.getByTestId('order-panel');
  const line = panel.locator(`[data-testid="order-lines"] tr[data-sku="${SKU}"]`);
  const packShort = panel.getByRole('button', { name: 'Pack short…' });
  // Nothing picked yet: nothing to pack, short or not.
  await expect(line.getByTestId('shortage')).toBeVisible();
  await expect(packShort).toHaveCount(0);

  // Pick what the first suggested bin holds, by scanner.
  await floor.scanInput('pick-item').focus();
  await floor.scanOk('pick-item', SKU);
  await page.keyboard.press('Enter'); // bin: the suggestion
  await page.keyboard.press('Enter'); // batch: the suggestion
  await page.keyboard.press('Enter'); // quantity: the suggestion
  await page.keyboard.press('Enter'); // submit
  await expect(line.getByTestId('picked')).not.toHaveText('0');
  const picked = Number(await line.getByTestId('picked').textContent());
  expect(picked).toBeGreaterThan(0);
  expect(picked).toBeLessThan(ORDERED);
  const missing = ORDERED - picked;
  await expect(panel.getByRole('button', { name: 'Pack', exact: true })).toBeDisabled();

  // The confirmation states the shortage; a wrong retype is refused, Escape changes nothing.
  await packShort.focus();
  await page.keyboard.press('Enter');
  const dialog = page.locator('dialog.confirm-dialog');
  await expect(dialog).toContainText('Confirm: packing short');
  await expect(dialog).toContainText(
    `order SO-S1 is packed with less than ordered — ${SKU}: ${picked} of ${ORDERED} picked; ${missing} short in all.`,
  );
  await page.keyboard.type('SO-S2');
  await page.keyboard.press('Tab');
  await page.keyboard.type('customer takes what we have');
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('alert')).toContainText('That is not SO-S1.');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(panel.getByRole('heading')).toContainText('picking');

  await packShort.focus();
  await page.keyboard.press('Enter');
  await floor.confirm('SO-S1', 'customer takes what we have');
  await expect(panel.getByTestId('floor-feedback')).toContainText(
    `Order SO-S1 packed short: ${missing} missing.`,
  );
  await expect(panel.getByRole('heading')).toContainText('packed');
  await expect(line.getByTestId('packed-short')).toHaveText(`packed short by ${missing}`);
  await expect(panel.getByTestId('short-summary')).toHaveText(`Short: ${missing} missing on 1 line(s).`);
  await expect(packShort).toHaveCount(0);

  // The pack reached the server through the audited path, with the confirmation and the shortage.
  const audited = async () =>
    env.server.db
      .selectFrom('audit_log')
      .select(['reason', 'confirmation', 'after'])
      .where('tenant_id', '=', 'acme')
      .where('entity', '=', 'orders')
      .where('reason', 'like', 'packed short%')
      .execute();
  await expect.poll(async () => (await audited()).length, { timeout: 30_000 }).toBe(1);
  const [entry] = await audited();
  // (An earlier local edit still unsent when packing is collapsed into the entry and named after it.)
  expect(entry?.reason).toMatch(new RegExp(`^packed short by ${missing}: customer takes what we have`));
  expect(entry?.confirmation).toMatchObject({ typed: 'SO-S1', reason: 'customer takes what we have' });
  expect(entry?.after).toMatchObject({ number: 'SO-S1', status: 'packed' });

  // After a reload (and signing in again) the order still shows its shortage; then it ships.
  await page.reload();
  await app.login('mgr');
  await app.waitForItems(ITEMS);
  await floor.open('outbound');
  await page.locator('button[data-number="SO-S1"]').click();
  await expect(line.getByTestId('packed-short')).toHaveText(`packed short by ${missing}`);
  await expect(panel.getByRole('button', { name: 'Ship' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('floor-feedback')).toContainText('Order SO-S1 shipped');
  await expect
    .poll(
      async () =>
        (
          await env.server.db
            .selectFrom('orders')
            .select('status')
            .where('tenant_id', '=', 'acme')
            .where('number', '=', 'SO-S1')
            .executeTakeFirst()
        )?.status,
      { timeout: 30_000 },
    )
    .toBe('shipped');
  await ctx.close();
});
