import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';
import { pullAll } from './server-api.js';

// 100 items: the demo seed then also has batch/expiry-tracked stock (ACME-000041 in dated lots).
const ITEMS = 100;
const env = freshServer(ITEMS);

/** What the server holds for one SKU: balance per location (and batch) and its transfers. */
async function serverState(sku: string) {
  const items = await pullAll(env.url, 'mgr', 'acme', 'items');
  const id = items.find((i) => i['sku'] === sku)?.['id'];
  const balances = (await pullAll(env.url, 'mgr', 'acme', 'balances')).filter((b) => b['itemId'] === id);
  const movements = (await pullAll(env.url, 'mgr', 'acme', 'movements')).filter((m) => m['itemId'] === id);
  const at = (loc: string, batch: string | null = null) =>
    balances
      .filter((b) => b['locationId'] === loc && (b['batch'] ?? null) === batch)
      .reduce((s, b) => s + Number(b['quantity']), 0);
  return { at, transfers: movements.filter((m) => m['type'] === 'transfer') };
}

/** The row of the source bin's holdings table for a SKU (and batch). */
const holding = (page: Page, sku: string, batch = '') =>
  page.getByTestId('transfer-holdings').locator(`tr[data-sku="${sku}"][data-batch="${batch}"]`);

test('move part of a balance between bins by keyboard and scanner: too much is refused and writes nothing, the move reaches the server', async ({
  browser,
}) => {
  const before = await serverState('ACME-000001');
  const held = before.at('A-02-01');
  expect(held).toBeGreaterThan(5);
  expect(before.at('A-03-01')).toBe(0);
  expect(before.transfers).toHaveLength(0);

  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const page = app.page;
  const floor = new FloorPage(page);
  await floor.open('transfer');
  const qty = page.locator('input[name="transfer-qty"]');

  // Source bin by its label barcode: the bin's contents show.
  await floor.scanOk('transfer-from', 'LOC-A-02-01', 'A-02-01');
  await expect(holding(page, 'ACME-000001').locator('td.num')).toHaveText(String(held));
  await floor.scanOk('transfer-item', 'ACME-000001', 'ACME-000001');
  // One batch (none) in the bin: straight to the quantity.
  await expect(qty).toBeFocused();

  // More than the bin holds: a clear error, the cursor stays, nothing is written.
  await floor.typeEnter(String(held + 1));
  await expect(floor.feedback()).toContainText(`Only ${held} in this bin`);
  await expect(floor.feedback()).toContainText('Nothing was moved');
  await expect(qty).toBeFocused();
  await expect(qty).toHaveAttribute('aria-invalid', 'true');
  await app.expectPending(0);

  // The destination must be another bin.
  await floor.typeEnter('5');
  await floor.scan('transfer-to', 'A-02-01');
  await expect(floor.feedback()).toContainText('another bin than A-02-01');
  await app.expectPending(0);
  expect((await serverState('ACME-000001')).transfers).toHaveLength(0);

  // Scan the destination: Enter writes the move; focus returns to the first field.
  await page.locator('input[name="transfer-to"]').focus();
  await floor.scan('transfer-to', 'A-03-01');
  await expect(floor.feedback()).toHaveText('Moved 5 × ACME-000001 from A-02-01 to A-03-01.');
  await expect(floor.scanInput('transfer-from')).toBeFocused();
  await expect(floor.scanInput('transfer-from')).toHaveValue('');

  // On-hand per bin as this PC shows it, then on the server.
  await floor.scanOk('transfer-from', 'A-02-01');
  await expect(holding(page, 'ACME-000001').locator('td.num')).toHaveText(String(held - 5));
  await floor.scanInput('transfer-from').press('Escape');
  await floor.scanOk('transfer-from', 'A-03-01');
  await expect(holding(page, 'ACME-000001').locator('td.num')).toHaveText('5');
  await app.expectPending(0);
  await expect
    .poll(async () => {
      const s = await serverState('ACME-000001');
      return [s.at('A-02-01'), s.at('A-03-01'), s.transfers.length];
    })
    .toEqual([held - 5, 5, 1]);
  const [m] = (await serverState('ACME-000001')).transfers;
  expect(m).toMatchObject({ quantity: 5, fromLocationId: 'A-02-01', toLocationId: 'A-03-01', batch: null });
  await ctx.close();
});

test('offline: move a batch, then choose between two batches in one bin by keyboard; the moves sync when back online', async ({
  browser,
}) => {
  // Seed: ACME-000041 is batch-tracked, LOT-OLD (expired) in A-20-09, LOT-SOON in A-20-10.
  const before = await serverState('ACME-000041');
  const soon = before.at('A-20-10', 'LOT-SOON');
  const old = before.at('A-20-09', 'LOT-OLD');
  expect(soon).toBeGreaterThan(10);
  expect(old).toBeGreaterThan(0);

  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const page = app.page;
  const floor = new FloorPage(page);
  await ctx.setOffline(true);
  await app.expectOnline(false);
  await floor.open('transfer');
  const batch = page.locator('input[name="transfer-batch"]');
  const qty = page.locator('input[name="transfer-qty"]');

  // One batch in the source bin: it is taken, with its expiry shown.
  await floor.scanOk('transfer-from', 'A-20-10');
  await floor.scanOk('transfer-item', 'ACME-000041');
  await expect(holding(page, 'ACME-000041', 'LOT-SOON').locator('td.num')).toHaveText(String(soon));
  await expect(qty).toBeFocused();
  await floor.typeEnter('10');
  await floor.scan('transfer-to', 'A-20-09');
  await expect(floor.feedback()).toHaveText(
    'Moved 10 × ACME-000041 (batch LOT-SOON) from A-20-10 to A-20-09.',
  );

  // Now A-20-09 holds two batches (this PC's unsynced move included): first-expiring offered first.
  await floor.scanOk('transfer-from', 'A-20-09');
  await floor.scanOk('transfer-item', 'ACME-000041');
  await expect(holding(page, 'ACME-000041', 'LOT-OLD').locator('td.num')).toHaveText(String(old));
  await expect(holding(page, 'ACME-000041', 'LOT-SOON').locator('td.num')).toHaveText('10');
  await expect(batch).toBeFocused();
  await expect(batch).toHaveValue('LOT-OLD');
  await page.keyboard.press('ArrowDown');
  await expect(batch).toHaveValue('LOT-SOON');
  await page.keyboard.press('Enter');
  await expect(qty).toBeFocused();
  await expect(holding(page, 'ACME-000041', 'LOT-SOON')).toContainText('chosen');
  // The limit is what the chosen batch holds here, unsynced move included.
  await floor.typeEnter('11');
  await expect(floor.feedback()).toContainText('Only 10 in this bin');
  // The screen with its holdings table, a chosen batch and an error passes axe.
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(
    axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
  ).toEqual([]);
  await floor.typeEnter('4');
  await floor.scan('transfer-to', 'A-19-10');
  await expect(floor.feedback()).toHaveText(
    'Moved 4 × ACME-000041 (batch LOT-SOON) from A-20-09 to A-19-10.',
  );
  await floor.scanOk('transfer-from', 'A-20-09');
  await expect(holding(page, 'ACME-000041', 'LOT-SOON').locator('td.num')).toHaveText('6');
  expect((await serverState('ACME-000041')).transfers).toHaveLength(0);

  await ctx.setOffline(false);
  await app.expectOnline(true);
  await app.expectPending(0);
  await expect
    .poll(async () => {
      const s = await serverState('ACME-000041');
      return [
        s.at('A-20-10', 'LOT-SOON'),
        s.at('A-20-09', 'LOT-SOON'),
        s.at('A-19-10', 'LOT-SOON'),
        s.at('A-20-09', 'LOT-OLD'),
        s.transfers.length,
      ];
    })
    .toEqual([soon - 10, 6, 4, old, 2]);
  await ctx.close();
});
