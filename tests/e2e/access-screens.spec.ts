import { readFile } from 'node:fs/promises';
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { freshServer } from './fixtures.js';
import { AppPage } from './pages/app-page.js';

const ITEMS = 40;
const env = freshServer(ITEMS);

/** Page object of the grants, policy and reports screens. */
class AccessPage extends AppPage {
  constructor(page: Page) {
    super(page);
  }

  async tab(name: 'Inventory' | 'Reports' | 'Grants' | 'Policy'): Promise<void> {
    await this.page.locator('nav.tabs').getByRole('button', { name, exact: true }).click();
  }

  // Grants
  get requestForm(): Locator {
    return this.page.locator('.grant-request');
  }
  get grantList(): Locator {
    return this.page.locator('.grant-list');
  }
  grantRow(user: string, tenant: string): Locator {
    return this.grantList.locator(`tr[data-user="${user}"][data-tenant="${tenant}"]`);
  }
  /** The list finished loading (a count or the empty state is shown). */
  async grantsLoaded(): Promise<void> {
    await expect(
      this.grantList
        .getByTestId('grant-count')
        .or(this.grantList.getByText('No grant requests yet.'))
        .first(),
    ).toBeVisible();
  }
  /** A datetime-local value `minutes` from now, in the browser's own time zone. */
  localInputIn(minutes: number): Promise<string> {
    return this.page.evaluate((m) => {
      const d = new Date(Date.now() + m * 60_000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    }, minutes);
  }
}

async function signedIn(
  browser: Browser,
  username: string,
): Promise<{ ctx: BrowserContext; app: AccessPage }> {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const app = new AccessPage(await ctx.newPage());
  await app.open(env.url);
  await app.login(username);
  return { ctx, app };
}

test('a temporary grant: request, no approve for an operator, admin approves, access appears, admin revokes', async ({
  browser,
}) => {
  const globex = await signedIn(browser, 'op.globex');
  await expect(globex.app.tenantButton('acme')).toHaveCount(0);
  await globex.app.tab('Grants');
  const form = globex.app.requestForm;
  await expect(form.getByLabel('Client', { exact: true }).locator('option[value="acme"]')).toHaveCount(1);
  await form.getByLabel('Client', { exact: true }).selectOption('acme');
  await form.getByLabel('Role').selectOption('operator');
  // Only admins of the chosen tenant may request for someone else.
  await expect(form.getByLabel(/On behalf of/)).toHaveCount(0);
  await form.getByLabel('Valid until').fill(await globex.app.localInputIn(60));
  // The reason is required: the form says so before anything is sent.
  await form.getByRole('button', { name: 'Send request' }).click();
  await expect(form.getByText('Give a reason of at least 3 characters.')).toBeVisible();
  await form.getByLabel('Reason').fill('Stock count help for acme this afternoon');
  await form.getByRole('button', { name: 'Send request' }).click();
  await expect(globex.app.page.locator('.grant-request [role="status"]')).toContainText('Request sent');
  const ownRow = globex.app.grantRow('op.globex', 'acme');
  await expect(ownRow).toHaveAttribute('data-phase', 'pending');
  // Nobody approves their own request.
  await expect(ownRow.getByRole('button', { name: /^Approve/ })).toHaveCount(0);

  // An operator of acme cannot approve: no Approve button anywhere.
  const opAcme = await signedIn(browser, 'op.acme');
  await opAcme.app.tab('Grants');
  await opAcme.app.grantsLoaded();
  await expect(opAcme.app.grantList.getByRole('button', { name: /^Approve/ })).toHaveCount(0);
  await opAcme.ctx.close();

  // The admin of acme approves.
  const admin = await signedIn(browser, 'admin.acme');
  await admin.app.tab('Grants');
  const row = admin.app.grantRow('op.globex', 'acme');
  await expect(row).toHaveAttribute('data-phase', 'pending');
  await row.getByRole('button', { name: /^Approve/ }).click();
  await expect(admin.app.grantList.locator('[role="status"]')).toContainText('Done');
  await expect(row).toHaveAttribute('data-phase', 'active');
  // "Valid until" takes minutes, so the grant ends up to a minute short of 60 from the typing;
  // the approval comes seconds later (tens of seconds on a loaded machine): 58 to 60 minutes left.
  await expect(row.getByTestId('remaining')).toHaveText(/^(58|59|60) min left$|^1 h left$/);

  // The grantee sees acme after signing in again.
  await globex.app.page.reload();
  await globex.app.login('op.globex');
  await expect(globex.app.tenantButton('acme')).toBeVisible();

  // The admin revokes it early, with a typed reason.
  await row.getByRole('button', { name: /^Revoke/ }).click();
  const dialog = admin.app.page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Revoke access' }).click();
  await expect(dialog.getByRole('alert')).toContainText('at least 3 characters');
  await dialog.getByLabel(/Reason/).fill('Count finished early');
  await dialog.getByRole('button', { name: 'Revoke access' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row).toHaveAttribute('data-phase', 'revoked');

  // And it is gone for the grantee at the next sign-in.
  await globex.app.page.reload();
  await globex.app.login('op.globex');
  await expect(globex.app.tenantButton('globex')).toBeVisible();
  await expect(globex.app.tenantButton('acme')).toHaveCount(0);
  await globex.ctx.close();
  await admin.ctx.close();
});

test('an admin hides the purchase price from finance; finance then gets no price column', async ({
  browser,
}) => {
  const before = await signedIn(browser, 'fin.acme');
  await before.app.waitForItems(ITEMS);
  await expect(before.app.page.getByTestId('price-header')).toBeVisible();
  await before.ctx.close();

  const admin = await signedIn(browser, 'admin.acme');
  await admin.app.tab('Policy');
  const cell = admin.app.page.getByLabel('Items · purchase price for Finance');
  await expect(cell).toHaveValue('rw');
  // Only the default and stricter accesses are offered.
  const operatorCell = admin.app.page.getByLabel('Items · purchase price for Operator');
  await expect(operatorCell.locator('option')).toHaveCount(1);
  await cell.selectOption('-');
  await expect(cell.locator('xpath=ancestor::td')).toHaveClass(/changed/);
  await admin.app.page.getByRole('button', { name: 'Save policy' }).click();
  await expect(admin.app.page.getByText('Give a reason of at least 3 characters.')).toBeVisible();
  await admin.app.page
    .getByLabel('Reason for the change (required)')
    .fill('Finance reorganised; prices go to purchasing');
  await admin.app.page.getByRole('button', { name: 'Save policy' }).click();
  await expect(admin.app.page.locator('.policy [role="status"]')).toContainText('audited');
  await expect(cell).toHaveValue('-');
  await expect(cell.locator('xpath=ancestor::td')).not.toHaveClass(/changed/);
  await admin.ctx.close();

  const fin = await signedIn(browser, 'fin.acme');
  await fin.app.waitForItems(ITEMS);
  await expect(fin.app.page.getByTestId('price-header')).toHaveCount(0);
  // The local item documents carry no purchase price at all (the schema may still name the field).
  const dump = await fin.app.dumpIndexedDb();
  const items = dump.json
    .split('\n')
    .flatMap((part) => (JSON.parse(part) as { all: unknown[] }).all)
    .filter((doc): doc is Record<string, unknown> => typeof doc === 'object' && doc !== null && 'sku' in doc);
  expect(items.length).toBeGreaterThanOrEqual(ITEMS);
  expect(items.filter((doc) => 'purchasePrice' in doc)).toEqual([]);
  // The policy tab is not offered to finance, and the screen would refuse anyway.
  await expect(
    fin.app.page.locator('nav.tabs').getByRole('button', { name: 'Policy', exact: true }),
  ).toHaveCount(0);
  await fin.ctx.close();
});

/** A minimal RFC 4180 reader for the export (quotes, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

test('a manager reports across acme and globex, and exports acme as CSV without prices', async ({
  browser,
}) => {
  const mgr = await signedIn(browser, 'mgr');
  await mgr.app.waitForItems(ITEMS);
  await mgr.app.tab('Reports');
  const picker = mgr.app.page.locator('.tenant-picker');
  await expect(picker.locator('input[data-tenant="initech"]')).toHaveCount(0);
  await expect(picker.locator('input[data-tenant="acme"]')).toBeChecked();
  await picker.locator('input[data-tenant="globex"]').check();

  const table = mgr.app.page.getByTestId('report-table');
  await expect(table.locator('th[data-column="tenantId"]')).toBeVisible();
  await expect(mgr.app.page.getByTestId('report-count')).toHaveText(`${2 * ITEMS} rows`);
  const tenants = await table.locator('td[data-column="tenantId"]').allTextContents();
  expect(tenants).toHaveLength(2 * ITEMS);
  expect(new Set(tenants)).toEqual(new Set(['acme', 'globex']));
  await expect(table.locator('th[data-column="purchasePrice"]')).toHaveCount(0);

  // Filtering narrows the rows and says how many are shown.
  await mgr.app.page.getByLabel('Filter rows').fill('GLBX-');
  await expect(mgr.app.page.getByTestId('report-count')).toHaveText(`${ITEMS} of ${2 * ITEMS} rows`);
  await mgr.app.page.getByLabel('Filter rows').fill('');

  // The export holds exactly what the report shows: acme alone here.
  await picker.locator('input[data-tenant="globex"]').uncheck();
  await expect(mgr.app.page.getByTestId('report-count')).toHaveText(`${ITEMS} rows`);
  const exportButton = mgr.app.page.getByRole('button', { name: 'Export CSV' });
  await expect(exportButton).toBeEnabled();
  const [download] = await Promise.all([mgr.app.page.waitForEvent('download'), exportButton.click()]);
  const path = await download.path();
  const csv = parseCsv(await readFile(path, 'utf8'));
  const [header, ...rows] = csv;
  expect(header).toBeDefined();
  expect(header).toContain('SKU');
  expect(header?.some((h) => /purchase/i.test(h))).toBe(false);
  expect(rows).toHaveLength(ITEMS);
  const skuAt = header?.indexOf('SKU') ?? -1;
  expect(rows.every((r) => (r[skuAt] ?? '').startsWith('ACME-'))).toBe(true);
  await expect(mgr.app.page.locator('.reports [role="status"]')).toContainText('Exported');

  // Offline, the report says it needs the server instead of showing stale or empty rows.
  await mgr.ctx.setOffline(true);
  await picker.locator('input[data-tenant="globex"]').check();
  await expect(mgr.app.page.locator('.reports [role="alert"]')).toContainText(
    'Reports need a connection to the server',
  );
  await expect(table).toHaveCount(0);
  await mgr.ctx.setOffline(false);
  await mgr.app.page.getByRole('button', { name: 'Try again' }).click();
  await expect(mgr.app.page.getByTestId('report-count')).toHaveText(`${2 * ITEMS} rows`);
  await mgr.ctx.close();
});
