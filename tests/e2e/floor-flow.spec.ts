import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';
import { pullAll } from './server-api.js';

const ITEMS = 40;
const env = freshServer(ITEMS);
const SKU = 'ACME-000003'; // seeded in A-04-01, no batch
const OTHER = 'ACME-000004'; // seeded in A-05-01

async function serverStock(sku: string) {
  const items = await pullAll(env.url, 'mgr', 'acme', 'items');
  const id = items.find((i) => i['sku'] === sku)?.['id'];
  const balances = (await pullAll(env.url, 'mgr', 'acme', 'balances')).filter((b) => b['itemId'] === id);
  const movements = (await pullAll(env.url, 'mgr', 'acme', 'movements')).filter((m) => m['itemId'] === id);
  const at = (loc: string, batch: string | null = null) =>
    balances
      .filter((b) => b['locationId'] === loc && (b['batch'] ?? null) === batch)
      .reduce((s, b) => s + Number(b['quantity']), 0);
  const total = balances.reduce((s, b) => s + Number(b['quantity']), 0);
  return { at, total, movements };
}

test('receive with batch and expiry → put away → pick (FEFO) → pack → ship, offline in the middle, by keyboard and scanner; server ledger and balances right', async ({
  browser,
}) => {
  const before = await serverStock(SKU);
  const seeded = before.at('A-04-01');
  expect(seeded).toBeGreaterThan(0);
  const otherStock = (await serverStock(OTHER)).total;

  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const floor = new FloorPage(app.page);
  const page = app.page;

  // --- Online: an order and an inbound notice, created by keyboard and scanner. ---
  await floor.open('outbound');
  await page.getByRole('button', { name: 'New order' }).focus();
  await page.keyboard.press('Enter');
  for (const v of ['SO-1', 'Kim Retail', '1 Harbour Rd', 'Rotterdam', '3011', 'NL']) await floor.typeEnter(v);
  await floor.scanOk('order-lines-item', SKU);
  await floor.typeEnter('5');
  await expect(page.locator('[data-lines="order-lines"] tr[data-sku="ACME-000003"]')).toBeVisible();
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('button[data-number="SO-1"]')).toBeVisible();
  // A second order the stock cannot cover.
  await page.getByRole('button', { name: 'New order' }).focus();
  await page.keyboard.press('Enter');
  for (const v of ['SO-2', 'Big Buyer', '2 Main St', 'Leeds', '', 'UK']) await floor.typeEnter(v);
  await floor.scanOk('order-lines-item', OTHER);
  await floor.typeEnter('500');
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('button[data-number="SO-2"]')).toBeVisible();

  await floor.open('receiving');
  await page.getByRole('button', { name: 'New notice (ASN)' }).focus();
  await page.keyboard.press('Enter');
  await floor.typeEnter('ASN-1');
  await floor.typeEnter('Acme Supply');
  await floor.scanOk('receipt-lines-item', SKU);
  await floor.typeEnter('10');
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('button[data-reference="ASN-1"]')).toBeVisible();

  // --- Offline from here to shipping. ---
  await ctx.setOffline(true);
  await app.expectOnline(false);

  // The item becomes batch- and expiry-tracked (master data, keyboard).
  await floor.open('masterData');
  await page.locator('input[name="item-search"]').focus();
  await page.keyboard.type(SKU);
  await page.locator(`[data-testid="master-items"] tr[data-sku="${SKU}"] button`).focus();
  await page.keyboard.press('Enter');
  const editor = page.locator('dialog.item-editor');
  await expect(editor).toBeVisible();
  for (const f of ['batchTracked', 'expiryTracked']) {
    await editor.locator(`input[name="${f}"]`).focus();
    await page.keyboard.press('Space');
    await expect(editor.locator(`input[name="${f}"]`)).toBeChecked();
  }
  await editor.locator('input[name="minStock"]').focus();
  await page.keyboard.type('100');
  await editor.getByRole('button', { name: 'Save' }).focus();
  await page.keyboard.press('Enter');
  await expect(editor.getByRole('status')).toContainText('Saved');
  await page.keyboard.press('Escape');
  await expect(editor).toBeHidden();

  // Receive against the notice: the item asks for batch and expiry; 12 of 10 is over by 2.
  await floor.open('receiving');
  await page.locator('button[data-reference="ASN-1"]').focus();
  await page.keyboard.press('Enter');
  const lines = page.getByTestId('receipt-lines');
  await expect(lines.locator(`tr[data-sku="${SKU}"]`)).toContainText('short by 10');
  await floor.scanOk('receive-item', SKU);
  await expect(page.locator('input[name="receive-batch"]')).toBeFocused();
  await floor.typeEnter('LOT-A');
  await expect(page.locator('input[name="receive-expiry"]')).toBeFocused();
  await floor.typeEnter('2027-01-31');
  await expect(page.locator('input[name="receive-qty"]')).toBeFocused();
  await floor.typeEnter('12');
  await expect(floor.scanInput('receive-dock')).toHaveValue('RCV-01');
  await page.keyboard.press('Enter'); // accept the dock
  await expect(page.locator('.receive-line button[type="submit"]')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('.receive-line').getByTestId('floor-feedback')).toContainText(
    'Received 12 × ACME-000003 into RCV-01',
  );
  await expect(lines.locator(`tr[data-sku="${SKU}"]`)).toHaveAttribute('data-state', 'over');
  await expect(lines.locator(`tr[data-sku="${SKU}"]`)).toContainText('over by 2');

  // Put away from the dock (suggested) to a storage bin.
  await floor.scanInput('putaway-item').focus();
  await floor.scanOk('putaway-item', SKU);
  await expect(floor.scanInput('putaway-from')).toHaveValue('RCV-01');
  await page.keyboard.press('Enter');
  await floor.scanOk('putaway-batch', 'LOT-A');
  await floor.typeEnter('12');
  await floor.scanOk('putaway-to', 'A-10-01');
  await page.keyboard.press('Enter');
  await expect(page.locator('.putaway').getByTestId('floor-feedback')).toContainText(
    'Put away 12 × ACME-000003 from RCV-01 to A-10-01',
  );

  // The expiry and low-stock views see the new batch and the item's minimum.
  await floor.open('stockWatch');
  await page.locator('select[name="expiry-window"]').selectOption('365');
  const expiring = page.getByTestId('expiry-view').locator('tr[data-batch="LOT-A"]');
  // Put away in full: only A-10-01 holds the batch now (the emptied dock row is gone).
  await expect(expiring).toHaveCount(1);
  await expect(expiring).toContainText('A-10-01');
  await expect(expiring).toContainText('2027-01-31');
  await expect(page.getByTestId('low-stock-view').locator(`tr[data-sku="${SKU}"]`)).toContainText(
    String(seeded + 12),
  );

  // Outbound: the shortage is shown and cannot be picked; cancelling is confirmed.
  await floor.open('outbound');
  await page.locator('button[data-number="SO-2"]').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('shortage')).toContainText(`short by ${500 - otherStock}`);
  await floor.scanOk('pick-item', OTHER);
  await expect(floor.scanInput('pick-bin')).toHaveValue('A-05-01');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter'); // batch: none
  await floor.typeEnter('500');
  await page.keyboard.press('Enter');
  await expect(page.locator('form.pick').getByTestId('floor-feedback')).toContainText('Not enough stock');
  await page.getByRole('button', { name: 'Cancel order' }).focus();
  await page.keyboard.press('Enter');
  await floor.confirm('SO-2', 'customer cannot wait');
  await expect(page.locator('button[data-number="SO-2"]')).toHaveCount(0);

  // SO-1: FEFO suggests the dated batch in A-10-01 over the undated stock in A-04-01.
  await page.locator('button[data-number="SO-1"]').focus();
  await page.keyboard.press('Enter');
  const orderLine = page.locator(`[data-testid="order-lines"] tr[data-sku="${SKU}"]`);
  await expect(orderLine.getByTestId('suggestion')).toContainText('5 from A-10-01, batch LOT-A');
  await floor.scanOk('pick-item', SKU);
  await expect(floor.scanInput('pick-bin')).toHaveValue('A-10-01');
  await page.keyboard.press('Enter');
  await expect(page.locator('input[name="pick-batch"]')).toHaveValue('LOT-A');
  await page.keyboard.press('Enter');
  await expect(page.locator('input[name="pick-qty"]')).toHaveValue('5');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expect(orderLine.getByTestId('picked')).toHaveText('5');
  // Fully picked: focus is on Pack, then on Ship.
  await expect(page.getByRole('button', { name: 'Pack' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Ship' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('button[data-number="SO-1"]')).toHaveCount(0);
  await expect(page.getByTestId('floor-feedback')).toContainText('Order SO-1 shipped');

  // Nothing has reached the server yet.
  expect(
    (await serverStock(SKU)).movements.filter((m) => m['type'] !== 'receipt' || m['batch']),
  ).toHaveLength(0);

  // --- Back online: everything syncs; the server's ledger and balances agree. ---
  await ctx.setOffline(false);
  await app.expectOnline(true);
  await app.expectPending(0);
  await expect
    .poll(async () => (await serverStock(SKU)).movements.length, { timeout: 30_000 })
    .toBe(before.movements.length + 4);
  const after = await serverStock(SKU);
  const mine = after.movements.filter((m) => m['batch'] === 'LOT-A');
  const byType: Record<string, Record<string, unknown>> = Object.fromEntries(
    mine.map((m) => [String(m['type']), m]),
  );
  expect(byType['receipt']).toMatchObject({ quantity: 12, fromLocationId: null, toLocationId: 'RCV-01' });
  expect(byType['putaway']).toMatchObject({
    quantity: 12,
    fromLocationId: 'RCV-01',
    toLocationId: 'A-10-01',
  });
  expect(byType['pick']).toMatchObject({ quantity: 5, fromLocationId: 'A-10-01', toLocationId: 'STG-01' });
  expect(byType['ship']).toMatchObject({ quantity: 5, fromLocationId: 'STG-01', toLocationId: null });
  expect(after.at('A-10-01', 'LOT-A')).toBe(7);
  expect(after.at('RCV-01', 'LOT-A')).toBe(0);
  expect(after.at('STG-01', 'LOT-A')).toBe(0);
  expect(after.at('A-04-01')).toBe(seeded);
  expect(after.total).toBe(before.total + 7);
  // The cancelled order moved nothing.
  expect((await serverStock(OTHER)).total).toBe(otherStock);
  await ctx.close();
});
