import { expect, test, type Page } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import type { AppPage } from './pages/app-page.js';
import { apiAs, changeAcmePolicy } from './server-api.js';

const ITEMS = 40;
const env = freshServer(ITEMS);

/** Open an item's editor from the inventory grid (keyboard: focus the row, Enter). */
async function openItem(app: AppPage, sku: string): Promise<void> {
  await app.search(sku);
  await app.row(sku).focus();
  await app.page.keyboard.press('Enter');
  await expect(app.page.locator('dialog.item-editor')).toBeVisible();
}

/** Fill the confirmation dialog by keyboard: retyped value, Tab, reason, Enter. */
async function confirm(page: Page, typed: string, reason: string): Promise<void> {
  const dialog = page.locator('dialog.confirm-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('input[name="typed"]')).toBeFocused();
  await page.keyboard.type(typed);
  await page.keyboard.press('Tab');
  await page.keyboard.type(reason);
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
}

async function tab(page: Page, name: RegExp): Promise<void> {
  await page.locator('nav.tabs').getByRole('button', { name }).click();
}

test('an operator writes off a batch offline with confirmation; a manager sees it and rolls it back', async ({
  browser,
}) => {
  const sku = 'ACME-000005';
  const op = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const before = await op.app.onHand(sku);
  await op.app.receive(sku, 7, 'A-09-09', 'LOT-77');
  await op.app.expectPending(0);
  await op.app.expectOnHand(sku, before + 7);

  await op.ctx.setOffline(true);
  await op.app.expectOnline(false);
  await openItem(op.app, sku);
  const lot = op.app.page.locator('.stock-table tr[data-batch="LOT-77"]');
  await expect(lot.getByTestId('stock-qty')).toHaveText('7');
  await lot.getByRole('button', { name: 'Write off batch' }).click();
  // The wrong value is refused, nothing is written.
  const dialog = op.app.page.locator('dialog.confirm-dialog');
  await expect(dialog.locator('input[name="typed"]')).toBeFocused();
  await op.app.page.keyboard.type('LOT-78');
  await op.app.page.keyboard.press('Tab');
  await op.app.page.keyboard.type('damaged by forklift');
  await op.app.page.keyboard.press('Enter');
  await expect(dialog.locator('[role="alert"]')).toContainText('That is not LOT-77');
  await expect(lot.getByTestId('stock-qty')).toHaveText('7');
  await op.app.page.locator('dialog.confirm-dialog input[name="typed"]').fill('LOT-77');
  await op.app.page.locator('dialog.confirm-dialog input[name="typed"]').press('Enter');
  await expect(op.app.page.locator('dialog.confirm-dialog')).toBeHidden();
  await expect(lot).toHaveCount(0);
  await op.app.page.keyboard.press('Escape');
  await op.app.expectOnHand(sku, before);
  await op.app.expectPending(1);

  await op.ctx.setOffline(false);
  await op.app.expectPending(0);

  const mgr = await signedIn(browser, env.url, 'mgr', ITEMS);
  await tab(mgr.app.page, /^Audit/);
  const entry = mgr.app.page
    .locator('[data-testid="audit-entry"]', { hasText: 'LOT-77' })
    .filter({ hasText: 'damaged by forklift' });
  await expect(entry).toBeVisible();
  // Before/after as a field diff; the confirmation names what was retyped.
  await expect(entry).toContainText('LOT-77');
  await entry.getByRole('button', { name: /Roll back/ }).click();
  await confirm(mgr.app.page, 'LOT-77', 'write-off was a mistake');
  await tab(mgr.app.page, /^Inventory/);
  await mgr.app.expectOnHand(sku, before + 7);
  // The operator's client gets the compensating movement too.
  await op.app.expectOnHand(sku, before + 7);

  // The chain verifies, and the server has exactly one entry per accepted change.
  await tab(mgr.app.page, /^Audit/);
  await mgr.app.page.getByRole('button', { name: /Verify chain/ }).click();
  await expect(mgr.app.page.getByText(/Chain intact/)).toBeVisible();
  await op.ctx.close();
  await mgr.ctx.close();
});

test('a change rejected after coming back online shows up in Needs attention with the reason', async ({
  browser,
}) => {
  const sku = 'ACME-000011';
  const mgr = await signedIn(browser, env.url, 'mgr', ITEMS);
  await mgr.ctx.setOffline(true);
  await mgr.app.expectOnline(false);
  await openItem(mgr.app, sku);
  await mgr.app.page.locator('dialog.item-editor input[name="name"]').fill('Renamed offline');
  await mgr.app.page.locator('dialog.item-editor').getByRole('button', { name: 'Save' }).click();
  await expect(mgr.app.page.locator('dialog.item-editor [role="status"]')).toBeVisible();
  await mgr.app.page.keyboard.press('Escape');
  // The sync status counts the unsynced rename (not only movements).
  await mgr.app.expectPending(1);

  // Meanwhile the tenant admin makes item names read-only for managers.
  await changeAcmePolicy(env.url, 'names come from the client ERP', (p) => ({
    overrides: { ...p.overrides, items: { '*': { manager: 'r' } } },
    settings: p.settings,
  }));

  await mgr.ctx.setOffline(false);
  await expect(
    mgr.app.page.locator('nav.tabs').getByRole('button', { name: /Needs attention/ }),
  ).toContainText('1', {
    timeout: 30_000,
  });
  await tab(mgr.app.page, /^Needs attention/);
  const item = mgr.app.page.locator('[data-testid="attention-item"]').first();
  await expect(item).toContainText('Renamed offline');
  await expect(item).toContainText(/forbidden|not allowed|may not/i);
  // The server kept its version.
  const op = await apiAs(env.url, 'op.acme');
  const items = await op.call<{ documents: { sku: string; name: string }[] }>(
    'GET',
    '/api/t/acme/sync/items/pull?limit=1000',
  );
  expect(items.documents.find((i) => i.sku === sku)?.name).not.toBe('Renamed offline');
  await mgr.ctx.close();
});

test('50 rapid adjustments raise an alert that a manager sees and acknowledges', async ({ browser }) => {
  const sku = 'ACME-000013';
  const op = await signedIn(browser, env.url, 'op.acme', ITEMS);
  await openItem(op.app, sku);
  const row = op.app.page.locator('.stock-table tbody tr').first();
  const dialog = op.app.page.locator('dialog.confirm-dialog');
  for (let i = 1; i <= 50; i++) {
    await row.getByRole('button', { name: 'Correct quantity' }).click();
    const counted = op.app.page.getByLabel('Counted quantity');
    await counted.fill(String(100 + i));
    await counted.press('Enter');
    if (i === 1) {
      await confirm(op.app.page, sku, `recount ${i}`);
    } else {
      // The keyboard path is shown once; the other 49 fill the same fields, so the loop is about the rate.
      await dialog.locator('input[name="typed"]').fill(sku);
      await dialog.locator('input[name="reason"]').fill(`recount ${i}`);
      await dialog.locator('input[name="reason"]').press('Enter');
      await expect(dialog).toBeHidden();
    }
    await expect(row.getByTestId('stock-qty')).toHaveText(String(100 + i));
  }
  await op.app.page.keyboard.press('Escape');
  await op.app.expectPending(0);

  const mgr = await signedIn(browser, env.url, 'mgr', ITEMS);
  await tab(mgr.app.page, /^Alerts/);
  const alert = mgr.app.page.locator('[data-testid="alert"]').filter({ hasText: /rapid|many changes/i });
  await expect(alert.first()).toBeVisible({ timeout: 30_000 });
  await alert
    .first()
    .getByRole('button', { name: /Acknowledge/ })
    .click();
  await expect(alert).toHaveCount(0);
  await op.ctx.close();
  await mgr.ctx.close();
});

test('above the threshold a second person co-signs with their own credentials on the same PC', async ({
  browser,
}) => {
  const sku = 'ACME-000017';
  const admin = await apiAs(env.url, 'admin.acme');
  const policy = await admin.call<{ version: number; overrides: object; settings: Record<string, unknown> }>(
    'GET',
    '/api/t/acme/policy',
  );
  await admin.call('PUT', '/api/t/acme/policy', {
    overrides: policy.overrides,
    settings: { ...policy.settings, cosignAboveQuantity: 5 },
    expectedVersion: policy.version,
    reason: 'co-sign write-offs above 5 units',
  });

  const op = await signedIn(browser, env.url, 'op.acme', ITEMS);
  await op.app.receive(sku, 9, 'A-07-07', 'LOT-CS');
  await op.app.expectPending(0);
  await openItem(op.app, sku);
  const lot = op.app.page.locator('.stock-table tr[data-batch="LOT-CS"]');
  await lot.getByRole('button', { name: 'Write off batch' }).click();
  const dialog = op.app.page.locator('dialog.confirm-dialog');
  await expect(dialog.getByText(/second person must co-sign/)).toBeVisible();
  await dialog.locator('input[name="typed"]').fill('LOT-CS');
  await dialog.locator('input[name="reason"]').fill('water damage');
  // Nobody co-signs their own change.
  await dialog.locator('input[name="cosigner"]').fill('op.acme');
  await dialog.locator('input[name="cosign-password"]').fill('demo1234');
  await dialog.locator('input[name="cosign-password"]').press('Enter');
  await expect(dialog.locator('[role="alert"]')).toContainText('someone else');
  // A wrong password is refused by the server.
  await dialog.locator('input[name="cosigner"]').fill('mgr');
  await dialog.locator('input[name="cosign-password"]').fill('wrong-password');
  await dialog.locator('input[name="cosign-password"]').press('Enter');
  await expect(dialog.locator('[role="alert"]')).toContainText('Co-sign failed');
  await dialog.locator('input[name="cosign-password"]').fill('demo1234');
  await dialog.locator('input[name="cosign-password"]').press('Enter');
  await expect(dialog).toBeHidden();
  await expect(lot).toHaveCount(0);
  await op.app.page.keyboard.press('Escape');
  await op.app.expectPending(0);

  // The server accepted it with the co-signature on the chained entry.
  const mgr = await apiAs(env.url, 'mgr');
  const page = await mgr.call<{
    entries: { reason: string | null; confirmation?: { cosign?: { userId: string } | null } }[];
  }>('GET', '/api/t/acme/audit?entity=movements&limit=20');
  const entry = page.entries.find((e) => e.reason === 'water damage');
  expect(entry?.confirmation?.cosign?.userId).toBe(mgr.userId);
  await op.ctx.close();
});
