import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { chineseApp, freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';
import { ui } from './pages/main-screens.js';
import { apiAs, changeAcmePolicy, pullAll } from './server-api.js';

/*
 * Issue #5: an inbound notice is corrected after it was created — the supplier sends a new
 * delivery note. A clerk changes the supplier, a quantity, adds a line by scanner and removes one
 * after confirming it, by keyboard and offline; the server takes it as one audited update. A line
 * cannot expect less than was already received. Where the tenant made notices read-only for
 * operators, the editor is not offered.
 */

const ITEMS = 40;
const env = freshServer(ITEMS);
// The zh-CN and the read-only tests open the notice the first test edited (one server per worker:
// after a failure the next test would find a fresh one), so they run in order and stop at a failure.
test.describe.configure({ mode: 'serial' });
const SKU_A = 'ACME-000003';
const SKU_B = 'ACME-000004';
const SKU_C = 'ACME-000005';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Line = { lineId: string; itemId: string; expectedQty: number };

/** The server's version of an acme notice by reference, as mgr pulls it (undefined: not there). */
async function serverNotice(reference: string): Promise<Record<string, unknown> | undefined> {
  const mgr = await apiAs(env.url, 'mgr');
  const r = await mgr.call<{ documents: Record<string, unknown>[] }>(
    'GET',
    '/api/t/acme/sync/receipts/pull?limit=1000',
  );
  return r.documents.find((d) => d['reference'] === reference);
}

/** Audit entries of a notice on the server. */
async function auditOf(id: string) {
  const mgr = await apiAs(env.url, 'mgr');
  return (
    await mgr.call<{
      entries: {
        action: string;
        before: Record<string, unknown> | null;
        after: Record<string, unknown> | null;
      }[];
    }>('GET', `/api/t/acme/audit?entity=receipts&entityId=${id}&limit=50`)
  ).entries;
}

/** A new notice through the receiving screen, by keyboard and scanner: reference, supplier, lines. */
async function newNotice(floor: FloorPage, reference: string, lines: [string, number][]): Promise<void> {
  const page = floor.page;
  await page.getByRole('button', { name: 'New notice (ASN)' }).focus();
  await page.keyboard.press('Enter');
  await floor.typeEnter(reference);
  await floor.typeEnter('Dairy Co');
  for (const [sku, qty] of lines) {
    await floor.scanOk('receipt-lines-item', sku, sku);
    await floor.typeEnter(String(qty));
  }
  await page.keyboard.press('Control+Enter');
  await expect(page.locator(`button[data-reference="${reference}"]`)).toHaveAttribute('aria-pressed', 'true');
}

/** Open the selected notice's editor by keyboard. */
async function openEditor(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Edit notice', exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('receipt-editor')).toBeVisible();
}

const editorInput = (page: Page, name: string) =>
  page.locator(`[data-testid="receipt-editor"] input[name="${name}"]`);
const expectedOf = (page: Page, sku: string) =>
  page.locator(`[data-testid="receipt-lines"] tr[data-sku="${sku}"] td.num`).first();

test('a clerk corrects a notice offline by keyboard and scanner (supplier, a quantity, a scanned line, a line removed after confirming); the server takes one audited update', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const page = app.page;
  const floor = new FloorPage(page);
  await floor.open('receiving');
  await newNotice(floor, 'ASN-EDIT-1', [
    [SKU_A, 5],
    [SKU_B, 4],
  ]);
  await app.expectPending(0);
  await expect.poll(async () => (await serverNotice('ASN-EDIT-1'))?.['lines']).toHaveLength(2);
  const created = (await serverNotice('ASN-EDIT-1'))!;
  const id = String(created['id']);
  const [lineA, lineB] = created['lines'] as Line[];

  // Invalid input writes nothing: an empty reference is refused in the form; Escape closes.
  await openEditor(page);
  await expect(editorInput(page, 'receipt-edit-reference')).toBeFocused();
  const violations = (
    await new AxeBuilder({ page })
      .include('[data-testid="receipt-editor"]')
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze()
  ).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(violations.map((v) => v.id)).toEqual([]);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Control+Enter');
  const editor = page.getByTestId('receipt-editor');
  await expect(editor.getByTestId('floor-feedback')).toHaveText(
    'Enter the reference (delivery note or ASN number).',
  );
  await expect(editorInput(page, 'receipt-edit-reference')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(editor).toBeHidden();
  await expect(page.getByRole('button', { name: 'Edit notice', exact: true })).toBeFocused();

  // Offline: the edit is written on this PC and syncs later.
  await ctx.setOffline(true);
  await app.expectOnline(false);
  await page.keyboard.press('Enter');
  await expect(editorInput(page, 'receipt-edit-reference')).toBeFocused();
  await expect(editorInput(page, 'receipt-edit-reference')).toHaveValue('ASN-EDIT-1');
  await page.keyboard.press('Enter');
  await expect(editorInput(page, 'receipt-edit-supplier')).toBeFocused();
  await floor.typeEnter('Fresh Farms');
  await expect(editorInput(page, 'receipt-edit-expectedAt')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(editorInput(page, `receipt-edit-qty-${lineA?.lineId}`)).toBeFocused();
  await floor.typeEnter('8');
  await expect(editorInput(page, `receipt-edit-qty-${lineB?.lineId}`)).toBeFocused();
  await page.keyboard.press('Enter');
  await floor.scanOk('receipt-edit-lines-item', SKU_C, SKU_C);
  await floor.typeEnter('2');
  await expect(editor.locator(`[data-lines="receipt-edit-lines"] tr[data-sku="${SKU_C}"]`)).toBeVisible();
  // Remove line B: asked on the line, "Keep" has focus; Escape keeps it, then Tab to "Remove line".
  await editor.getByRole('button', { name: `Remove line ${SKU_B}` }).focus();
  await page.keyboard.press('Enter');
  await expect(editor.getByRole('button', { name: 'Keep' })).toBeFocused();
  await expect(editor.getByRole('alert')).toHaveText(`Remove ${SKU_B} (4 expected) from the notice?`);
  await page.keyboard.press('Escape');
  await expect(editor).toBeVisible();
  await expect(editorInput(page, `receipt-edit-qty-${lineB?.lineId}`)).toBeFocused();
  await editor.getByRole('button', { name: `Remove line ${SKU_B}` }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(editor.locator(`tr[data-sku="${SKU_B}"]`)).toHaveAttribute('data-removed', 'true');
  await page.keyboard.press('Control+Enter');
  await expect(editor).toBeHidden();
  await expect(page.getByTestId('receipt-panel').getByTestId('floor-feedback')).toHaveText(
    'Notice ASN-EDIT-1 changed.',
  );
  await expect(page.locator('[data-testid="receipt-lines"] tbody tr')).toHaveCount(2);
  await expect(expectedOf(page, SKU_A)).toHaveText('8');
  await expect(expectedOf(page, SKU_C)).toHaveText('2');
  await expect(page.locator('#receipt-title')).toContainText('Fresh Farms');

  await ctx.setOffline(false);
  await app.expectPending(0);
  await expect
    .poll(async () => (await serverNotice('ASN-EDIT-1'))?.['supplier'], { timeout: 30_000 })
    .toBe('Fresh Farms');
  const stored = (await serverNotice('ASN-EDIT-1'))!;
  const lines = stored['lines'] as Line[];
  expect(lines).toHaveLength(2);
  expect(lines[0]).toEqual({ ...lineA, expectedQty: 8 });
  expect(lines[1]).toMatchObject({ expectedQty: 2 });
  expect(lines[1]?.lineId).toMatch(UUID);
  expect(lines.some((l) => l.lineId === lineB?.lineId)).toBe(false);
  expect(stored).toMatchObject({ status: 'open', reference: 'ASN-EDIT-1', expectedAt: null });
  const items = await pullAll(env.url, 'mgr', 'acme', 'items');
  expect(items.find((i) => i['id'] === lines[1]?.itemId)?.['sku']).toBe(SKU_C);

  // One audit entry for the edit, with before and after.
  const updates = (await auditOf(id)).filter((e) => e.action === 'update');
  expect(updates).toHaveLength(1);
  expect(updates[0]?.before).toMatchObject({ supplier: 'Dairy Co' });
  expect(updates[0]?.after).toMatchObject({ supplier: 'Fresh Farms' });
  expect(updates[0]?.after?.['lines']).toEqual(lines);
  await ctx.close();
});

test('an operator cannot make a line expect less than was received: refused with a message, nothing changes', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const page = app.page;
  const floor = new FloorPage(page);
  await floor.open('receiving');
  await newNotice(floor, 'ASN-EDIT-2', [
    [SKU_A, 5],
    [SKU_B, 1],
  ]);
  // 3 of A arrive.
  await page.locator('input[name="receive-item"]').focus();
  await floor.scanOk('receive-item', SKU_A, SKU_A);
  await floor.typeEnter('3');
  await page.keyboard.press('Enter'); // dock RCV-01
  await page.keyboard.press('Enter'); // receive
  await expect(page.locator('.receive-line').getByTestId('floor-feedback')).toContainText(
    `Received 3 × ${SKU_A} into RCV-01`,
  );
  await app.expectPending(0);
  await expect.poll(async () => (await serverNotice('ASN-EDIT-2'))?.['status']).toBe('receiving');
  const before = (await serverNotice('ASN-EDIT-2'))!;
  const [lineA] = before['lines'] as Line[];

  await openEditor(page);
  const editor = page.getByTestId('receipt-editor');
  // The editor says what is received of the line.
  await expect(editor.locator(`tr[data-sku="${SKU_A}"]`)).toContainText('3 received');
  await editorInput(page, `receipt-edit-qty-${lineA?.lineId}`).focus();
  await floor.typeEnter('2');
  await page.keyboard.press('Control+Enter');
  await expect(editor.getByTestId('floor-feedback')).toHaveText(
    `${SKU_A}: 3 already received — the notice cannot expect less than that (it would be 2).`,
  );
  // Removing the line is the same as expecting 0.
  await editorInput(page, `receipt-edit-qty-${lineA?.lineId}`).fill('5');
  await editor.getByRole('button', { name: `Remove line ${SKU_A}` }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+Enter');
  await expect(editor.getByTestId('floor-feedback')).toHaveText(
    `${SKU_A}: 3 already received — the notice cannot expect less than that (it would be 0).`,
  );
  await page.keyboard.press('Escape');
  await expect(editor).toBeHidden();
  await expect(expectedOf(page, SKU_A)).toHaveText('5');
  await expect(page.locator('[data-testid="receipt-lines"] tbody tr')).toHaveCount(2);
  await app.expectPending(0);
  expect(await serverNotice('ASN-EDIT-2')).toEqual(before);
  // Its updates are the status change of the first receipt only: no line ever changed.
  const updates = (await auditOf(String(before['id']))).filter((e) => e.action === 'update');
  expect(updates).toHaveLength(1);
  expect(updates[0]?.after).toMatchObject({ status: 'receiving', lines: before['lines'] });
  await ctx.close();
});

test('the notice editor in zh-CN: no missing key (validation and removal prompt too)', async ({
  browser,
}) => {
  const { ctx, page, app, expectNoMissingKeys } = await chineseApp(browser, env.url);
  await app.login('mgr');
  await expect(page.getByTestId('inventory-count')).toContainText(String(ITEMS), { timeout: 60_000 });
  await new FloorPage(page).open('receiving');
  await page.locator('button[data-reference="ASN-EDIT-1"]').focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: ui('zhCN', 'floor.receiving.edit.open'), exact: true }).focus();
  await page.keyboard.press('Enter');
  const editor = page.getByTestId('receipt-editor');
  await expect(editor.locator('h3')).toHaveText(
    ui('zhCN', 'floor.receiving.edit.title').replace('{{reference}}', 'ASN-EDIT-1'),
  );
  // A validation message and the removal prompt are on screen as well.
  await editor.locator('input[name^="receipt-edit-qty-"]').first().fill('0');
  await page.keyboard.press('Control+Enter');
  await expect(editor.getByTestId('floor-feedback')).toHaveText(
    ui('zhCN', 'floor.receiving.edit.badQty').replace('{{sku}}', SKU_A),
  );
  await editor.locator(`tr[data-sku="${SKU_C}"] button`).press('Enter');
  await expect(editor.getByRole('button', { name: ui('zhCN', 'floor.receiving.edit.keep') })).toBeFocused();
  await expect(editor.locator('.confirm-inline [role="alert"]')).toHaveText(
    ui('zhCN', 'floor.receiving.edit.confirmRemove').replace('{{sku}}', SKU_C).replace('{{qty}}', '2'),
  );
  await expectNoMissingKeys();
  // Keep, then cancel: nothing was written.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await expect(editor).toBeHidden();
  await ctx.close();
});

test('where the tenant made notices read-only for operators, an operator is not offered the editor', async ({
  browser,
}) => {
  // Notices are governed as a whole (the field policy lists no single notice field), so read-only
  // means the whole notice, header and lines.
  await changeAcmePolicy(env.url, 'notices come from the client ERP', (p) => ({
    overrides: { ...p.overrides, receipts: { '*': { operator: 'r' } } },
    settings: p.settings,
  }));
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const page = app.page;
  await new FloorPage(page).open('receiving');
  await page.locator('button[data-reference="ASN-EDIT-1"]').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('receipt-panel')).toContainText('ASN-EDIT-1');
  const edit = page.getByRole('button', { name: 'Edit notice', exact: true });
  await expect(edit).toBeDisabled();
  await expect(edit).toHaveAttribute('title', 'Your role cannot change this notice.');
  await expect(page.getByRole('button', { name: 'New notice (ASN)' })).toBeDisabled();
  await expect(page.getByTestId('receipt-editor')).toHaveCount(0);
  await ctx.close();
});
