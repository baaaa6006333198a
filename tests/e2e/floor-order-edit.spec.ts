import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { chineseApp, freshServer, signedIn } from './fixtures.js';
import { leaves, ui } from './pages/main-screens.js';
import { FloorPage } from './pages/floor-page.js';
import { apiAs, createOrderAsManager, pullAll, serverOrder as serverOrderOf } from './server-api.js';

/*
 * Issue #5: an order is edited after it was created — the customer phones to add a line. A
 * manager changes the ship-to city, a quantity and adds a line by typed scan, by keyboard and
 * offline; the server takes it as one audited update, and the new line has a random id (the old
 * numbered ones stay). An operator's editor has no customer fields. The editor is fully Chinese in
 * zh-CN.
 */

const ITEMS = 40;
const env = freshServer(ITEMS);
const SKU_A = 'ACME-000003';
const SKU_B = 'ACME-000004';
const SKU_C = 'ACME-000005';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function itemIds(): Promise<(sku: string) => string> {
  const items = await pullAll(env.url, 'mgr', 'acme', 'items');
  return (sku: string) => String(items.find((i) => i['sku'] === sku)?.['id']);
}

const createOrder = (number: string) => createOrderAsManager(env.url, number, [SKU_A, SKU_B]);
const serverOrder = (id: string) => serverOrderOf(env.url, id);

/** Select an order in the list and open its editor, by keyboard. */
async function openEditor(page: Page, number: string, editLabel = 'Edit order'): Promise<void> {
  await page.locator(`button[data-number="${number}"]`).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('order-panel')).toContainText(number);
  await page.getByRole('button', { name: editLabel, exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('order-editor')).toBeVisible();
}

const editorInput = (page: Page, name: string) =>
  page.locator(`[data-testid="order-editor"] input[name="${name}"]`);

test('a manager edits an order offline by keyboard (city, a quantity, a scanned line); the server takes one audited update', async ({
  browser,
}) => {
  const id = await createOrder('SO-EDIT-1');
  const idOf = await itemIds();
  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const page = app.page;
  const floor = new FloorPage(page);
  await floor.open('outbound');
  await expect(page.locator('button[data-number="SO-EDIT-1"]')).toBeVisible();

  // Invalid input writes nothing: an empty city is refused in the form.
  await openEditor(page, 'SO-EDIT-1');
  await expect(editorInput(page, 'order-edit-customer')).toBeFocused();
  const violations = (
    await new AxeBuilder({ page })
      .include('[data-testid="order-editor"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze()
  ).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(violations.map((v) => v.id)).toEqual([]);
  await editorInput(page, 'order-edit-city').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Control+Enter');
  await expect(floor.feedback()).toHaveText('Customer, address, city and country are required.');
  await expect(editorInput(page, 'order-edit-city')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('order-editor')).toBeHidden();
  await expect(page.getByRole('button', { name: 'Edit order', exact: true })).toBeFocused();

  // Offline: the edit is written on this PC and syncs later.
  await ctx.setOffline(true);
  await app.expectOnline(false);
  await page.keyboard.press('Enter');
  await expect(editorInput(page, 'order-edit-customer')).toBeFocused();
  for (let i = 0; i < 4; i++) await page.keyboard.press('Enter'); // customer → phone → email → address → city
  await expect(editorInput(page, 'order-edit-city')).toBeFocused();
  await floor.typeEnter('Utrecht');
  await page.keyboard.press('Enter'); // postal code
  await page.keyboard.press('Enter'); // country
  await expect(editorInput(page, 'order-edit-qty-1')).toBeFocused();
  await floor.typeEnter('3');
  await expect(editorInput(page, 'order-edit-qty-2')).toBeFocused();
  await page.keyboard.press('Enter');
  await floor.scanOk('order-edit-lines-item', SKU_C);
  await floor.typeEnter('2');
  await expect(page.locator(`[data-lines="order-edit-lines"] tr[data-sku="${SKU_C}"]`)).toBeVisible();
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('order-editor')).toBeHidden();
  await expect(floor.feedback()).toHaveText('Order SO-EDIT-1 changed.');
  const rows = page.locator('[data-testid="order-lines"] tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(page.locator(`[data-testid="order-lines"] tr[data-sku="${SKU_A}"] td.num`).first()).toHaveText(
    '3',
  );
  await expect(page.getByTestId('ship-to')).toContainText('Utrecht');

  await ctx.setOffline(false);
  await app.expectPending(0);
  await expect
    .poll(async () => ((await serverOrder(id))?.['shipTo'] as { city?: string } | undefined)?.city, {
      timeout: 30_000,
    })
    .toBe('Utrecht');
  const stored = await serverOrder(id);
  const lines = stored?.['lines'] as { lineId: string; itemId: string; qty: number }[];
  expect(lines.slice(0, 2)).toEqual([
    { lineId: '1', itemId: idOf(SKU_A), qty: 3 },
    { lineId: '2', itemId: idOf(SKU_B), qty: 1 },
  ]);
  expect(lines[2]).toMatchObject({ itemId: idOf(SKU_C), qty: 2 });
  expect(lines[2]?.lineId).toMatch(UUID);
  expect(stored).toMatchObject({ status: 'open', customerName: 'Kim Retail' });

  // One audit entry for the edit, with before and after.
  const mgr = await apiAs(env.url, 'mgr');
  const audit = await mgr.call<{
    entries: {
      action: string;
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
    }[];
  }>('GET', `/api/t/acme/audit?entity=orders&entityId=${id}&limit=50`);
  const updates = audit.entries.filter((e) => e.action === 'update');
  expect(updates).toHaveLength(1);
  expect((updates[0]?.before?.['shipTo'] as { city: string }).city).toBe('Rotterdam');
  expect((updates[0]?.after?.['shipTo'] as { city: string }).city).toBe('Utrecht');
  expect(updates[0]?.after?.['lines']).toHaveLength(3);
  await ctx.close();
});

test('an operator edits the lines of an order (a quantity; a line removed after confirming); the editor shows no customer field', async ({
  browser,
}) => {
  const id = await createOrder('SO-EDIT-2');
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const page = app.page;
  const floor = new FloorPage(page);
  await floor.open('outbound');
  await openEditor(page, 'SO-EDIT-2');
  const editor = page.getByTestId('order-editor');
  for (const k of ['customer', 'phone', 'email', 'line1', 'city', 'postalCode', 'country'])
    await expect(editor.locator(`input[name="order-edit-${k}"]`)).toHaveCount(0);
  await expect(editor.getByLabel('Customer', { exact: true })).toHaveCount(0);
  await expect(editorInput(page, 'order-edit-qty-2')).toBeVisible();
  // The first field is the first line's quantity.
  await expect(editorInput(page, 'order-edit-qty-1')).toBeFocused();
  await page.keyboard.press('Enter');
  await floor.typeEnter('4');
  // Remove the first line: asked on the line, "Keep" has focus; Tab to "Remove line", Enter.
  await editor.getByRole('button', { name: `Remove line ${SKU_A}` }).focus();
  await page.keyboard.press('Enter');
  await expect(editor.getByRole('button', { name: 'Keep' })).toBeFocused();
  await expect(editor.getByRole('alert')).toHaveText(`Remove ${SKU_A} (1) from the order?`);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(editor.locator(`tr[data-sku="${SKU_A}"]`)).toHaveAttribute('data-removed', 'true');
  await page.keyboard.press('Control+Enter');
  await expect(editor).toBeHidden();
  await expect(floor.feedback()).toHaveText('Order SO-EDIT-2 changed.');
  await expect(page.locator('[data-testid="order-lines"] tbody tr')).toHaveCount(1);
  await app.expectPending(0);
  await expect
    .poll(async () => (await serverOrder(id))?.['lines'], { timeout: 30_000 })
    .toEqual([{ lineId: '2', itemId: expect.any(String), qty: 4 }]);
  expect(await serverOrder(id)).toMatchObject({ customerName: 'Kim Retail', status: 'open' });
  await ctx.close();
});

/** English strings that differ in Chinese (see i18n.spec.ts): none may show on a zh-CN screen. */
const zh = new Map(leaves('zhCN'));
const ENGLISH_ONLY = new Set(
  leaves('en')
    .filter(([k, v]) => zh.get(k) !== v && v.length >= 4 && !v.includes('{{') && /[a-z]{3}/.test(v))
    .map(([, v]) => v),
);

test('the order editor in zh-CN: no missing key, no English text (validation and removal prompt too)', async ({
  browser,
}) => {
  await createOrder('SO-EDIT-3');
  const { ctx, page, app, expectNoMissingKeys } = await chineseApp(browser, env.url);
  await app.login('mgr');
  await expect(page.getByTestId('inventory-count')).toContainText(String(ITEMS), { timeout: 60_000 });
  await new FloorPage(page).open('outbound');
  await openEditor(page, 'SO-EDIT-3', ui('zhCN', 'floor.outbound.edit.open'));
  const editor = page.getByTestId('order-editor');
  // A validation message and the removal prompt are on screen as well.
  await editorInput(page, 'order-edit-qty-1').fill('0');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('floor-feedback')).toHaveText(
    ui('zhCN', 'floor.outbound.edit.badQty').replace('{{sku}}', SKU_A),
  );
  await editor.locator(`tr[data-sku="${SKU_B}"] button`).press('Enter');
  await expect(editor.getByRole('button', { name: ui('zhCN', 'floor.outbound.edit.keep') })).toBeFocused();

  const texts = await page.evaluate(() => {
    const out: string[] = [];
    const root = document.querySelector('[data-testid="order-panel"]') ?? document.body;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent ?? '').trim();
      if (text) out.push(text);
    }
    for (const el of root.querySelectorAll('[aria-label],[title],[placeholder]'))
      for (const a of ['aria-label', 'title', 'placeholder']) {
        const v = el.getAttribute(a);
        if (v) out.push(v.trim());
      }
    return out;
  });
  expect(texts.filter((t) => /(?<![\w@.-])floor\.[a-zA-Z][\w.-]*[a-zA-Z]/.test(t))).toEqual([]);
  expect(texts.filter((t) => ENGLISH_ONLY.has(t))).toEqual([]);
  expect(texts).toContain(ui('zhCN', 'floor.outbound.edit.addTitle'));
  await expectNoMissingKeys();
  // Keep, then cancel: nothing was written.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await expect(editor).toBeHidden();
  await ctx.close();
});
