import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';
import { pullAll } from './server-api.js';

const ITEMS = 40;
const env = freshServer(ITEMS);

/** What the server holds for one SKU: balance per location and its movements. */
async function serverState(sku: string) {
  const items = await pullAll(env.url, 'mgr', 'acme', 'items');
  const id = items.find((i) => i['sku'] === sku)?.['id'];
  const balances = (await pullAll(env.url, 'mgr', 'acme', 'balances')).filter((b) => b['itemId'] === id);
  const movements = (await pullAll(env.url, 'mgr', 'acme', 'movements')).filter((m) => m['itemId'] === id);
  const at = (loc: string) =>
    balances.filter((b) => b['locationId'] === loc).reduce((s, b) => s + Number(b['quantity']), 0);
  return { id, at, movements };
}

test('cycle count of a bin and of an item by keyboard: differences become confirmed adjustments, co-signed above the threshold', async ({
  browser,
}) => {
  // Seed: ACME-000001 alone in A-02-01; ACME-000002 in A-03-01.
  const first = await serverState('ACME-000001');
  const expected1 = first.at('A-02-01');
  expect(expected1).toBeGreaterThan(3);

  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const floor = new FloorPage(app.page);
  await floor.open('count');

  // Count a bin: scan it, the sheet lists what is expected there, type the count, Enter.
  await floor.scanOk('count-target', 'A-02-01', 'A-02-01');
  const sheet = app.page.getByTestId('count-sheet');
  await expect(sheet.locator('tbody tr')).toHaveCount(1);
  await expect(sheet.locator('tr[data-sku="ACME-000001"]')).toContainText(String(expected1));
  await expect(sheet.locator('input.qty-input').first()).toBeFocused();
  await floor.typeEnter(String(expected1 - 2));
  await expect(sheet.getByTestId('count-diff').first()).toHaveText('-2');
  const post = app.page.getByRole('button', { name: /Post 1 adjustment/ });
  await expect(post).toBeFocused();
  await app.page.keyboard.press('Enter');
  // Destructive: retype the SKU (no batch) and give a reason; a wrong value changes nothing.
  await floor.confirm('ACME-000001', 'cycle count A-02-01');
  await expect(floor.feedback()).toContainText('Posted 1 adjustment');
  await app.expectPending(0);

  await expect.poll(async () => (await serverState('ACME-000001')).at('A-02-01')).toBe(expected1 - 2);
  const adj = (await serverState('ACME-000001')).movements.filter((m) => m['type'] === 'adjustment');
  expect(adj).toHaveLength(1);
  expect(adj[0]).toMatchObject({ quantity: 2, fromLocationId: 'A-02-01', toLocationId: null });

  // Count an item (switch the mode by keyboard): a difference above the tenant threshold
  // (1,000 by default) needs a second person's co-signature.
  const second = await serverState('ACME-000002');
  const expected2 = second.at('A-03-01');
  await app.page.keyboard.press('Shift+Tab');
  await expect(app.page.locator('input[name="count-mode"][value="location"]')).toBeFocused();
  await app.page.keyboard.press('ArrowDown');
  await expect(app.page.locator('input[name="count-mode"][value="item"]')).toBeChecked();
  await floor.scanInput('count-target').focus();
  await floor.scanOk('count-target', 'ACME-000002', 'ACME-000002');
  await expect(sheet.locator('input.qty-input').first()).toBeFocused();
  await floor.typeEnter('1500');
  await expect(sheet.getByTestId('count-diff').first()).toContainText(`+${1500 - expected2}`);
  await expect(sheet.getByTestId('count-diff').first()).toContainText('co-sign');
  await app.page.keyboard.press('Enter');
  await expect(app.page.locator('dialog.confirm-dialog fieldset.cosign')).toBeVisible();
  await floor.confirm('ACME-000002', 'found a pallet in the bin', { user: 'mgr', password: 'demo1234' });
  await expect(floor.feedback()).toContainText('Posted 1 adjustment');
  await expect.poll(async () => (await serverState('ACME-000002')).at('A-03-01')).toBe(1500);

  // A count that matches posts nothing.
  await floor.scanInput('count-target').focus();
  await floor.scanOk('count-target', 'ACME-000002');
  await expect(sheet.locator('tbody tr')).toHaveCount(1);
  await floor.typeEnter('1500');
  await app.page.keyboard.press('Enter');
  await expect(floor.feedback()).toContainText('Count matches');
  expect((await serverState('ACME-000002')).movements.filter((m) => m['type'] === 'adjustment')).toHaveLength(
    1,
  );
  await ctx.close();
});
