import { mkdir, readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { freshServer } from './fixtures.js';
import { AppPage } from './pages/app-page.js';
import {
  availableTabScreens,
  closeItemEditor,
  openItemEditor,
  openTab,
  settled,
} from './pages/main-screens.js';

/** Deterministic data: the demo seed with a fixed number of items per tenant. */
const ITEMS = 30;
const env = freshServer(ITEMS);
const DIR = 'docs/screenshots';
const VIEWPORT = { width: 1280, height: 800 };

/** Saves the page as docs/screenshots/<name>.png and checks the file is a 1280×800 PNG. */
async function shoot(page: Page, name: string): Promise<void> {
  const path = `${DIR}/${name}.png`;
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  // Nothing is cut off at the side: the page is never wider than the window.
  expect(
    await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    `${name}: the page is wider than the window`,
  ).toBeLessThanOrEqual(0);
  const png = await readFile(path);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([VIEWPORT.width, VIEWPORT.height]);
}

async function signIn(page: Page, username: string): Promise<AppPage> {
  const app = new AppPage(page);
  await app.open(env.url);
  await app.login(username);
  await app.waitForItems(ITEMS);
  await settled(page);
  return app;
}

test.beforeAll(async () => {
  await mkdir(DIR, { recursive: true });
});

test('screenshots of the main screens (admin of acme)', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  const page = await ctx.newPage();
  await page.goto(env.url);
  await expect(page.getByLabel(/username/i)).toBeVisible();
  await shoot(page, 'login');
  await signIn(page, 'admin.acme');
  await shoot(page, 'inventory');
  await openItemEditor(page);
  await shoot(page, 'item-editor');
  await closeItemEditor(page);
  for (const s of availableTabScreens()) {
    if (s.name === 'inventory' || s.name === 'dashboard' || s.name === 'reports') continue;
    await openTab(page, 'en', s);
    await shoot(page, s.name);
  }
  // Labels of the first items, ready to print.
  const print = availableTabScreens().find((s) => s.name === 'print');
  if (print) {
    await openTab(page, 'en', print);
    await page.getByRole('radio', { name: 'Item labels' }).check();
    await expect(page.getByTestId('label-sheet')).toBeVisible();
    await shoot(page, 'print-labels');
  }
  await ctx.close();
});

test('screenshots of the dashboard and reports across two tenants (manager)', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  const page = await ctx.newPage();
  await signIn(page, 'mgr');
  const dashboard = availableTabScreens().find((s) => s.name === 'dashboard');
  const reports = availableTabScreens().find((s) => s.name === 'reports');
  if (!dashboard || !reports) throw new Error('dashboard and reports must exist');
  await openTab(page, 'en', dashboard);
  await expect(page.getByTestId('chart-by-tenant').locator('svg[role="img"]')).toBeVisible();
  await shoot(page, 'dashboard');
  await openTab(page, 'en', reports);
  await page.locator('.tenant-picker input[data-tenant="globex"]').check();
  await expect(page.getByTestId('report-count')).toHaveText(`${2 * ITEMS} rows`);
  await shoot(page, 'reports');
  await page.getByTestId('report-select').selectOption('inventory-by-location');
  await expect(page.getByTestId('report-table')).toHaveAttribute('data-report', 'inventory-by-location');
  await shoot(page, 'reports-by-location');
  await ctx.close();
});

test('screenshot of a screen in Simplified Chinese', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const app = new AppPage(page);
  await app.open(env.url);
  await app.login('mgr');
  await expect(page.getByTestId('inventory-count')).toContainText(String(ITEMS), { timeout: 60_000 });
  const dashboard = availableTabScreens().find((s) => s.name === 'dashboard');
  if (!dashboard) throw new Error('dashboard must exist');
  await openTab(page, 'zhCN', dashboard);
  await shoot(page, 'dashboard-zh-CN');
  await ctx.close();
});
