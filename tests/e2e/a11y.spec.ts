import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { AppPage } from './pages/app-page.js';
import {
  availableTabScreens,
  closeItemEditor,
  openItemEditor,
  openTab,
  settled,
} from './pages/main-screens.js';

const ITEMS = 8;
const env = freshServer(ITEMS);

/** Serious and critical axe violations of the page, as readable lines (rule, impact, targets). */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 5)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
}

test('axe finds no serious or critical violation on the main screens', async ({ browser }) => {
  // One axe pass per tab screen (sixteen and counting): on a busy machine that outlasts the
  // default two minutes (1.9 min measured with the Sites & bins screen, load average 22).
  test.slow();
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const app = new AppPage(page);
  await app.open(env.url);
  await expect(page.getByLabel(/username/i)).toBeVisible();
  const found: Record<string, string[]> = {};
  found.login = await seriousViolations(page);

  await app.login('admin.acme');
  await app.waitForItems(ITEMS);
  await settled(page);
  found.inventory = await seriousViolations(page);
  await openItemEditor(page);
  found.itemEditor = await seriousViolations(page);
  await closeItemEditor(page);

  for (const s of availableTabScreens()) {
    await openTab(page, 'en', s);
    found[s.name] = await seriousViolations(page);
  }
  // One result object: every screen's problems show at once.
  expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0))).toEqual({});
  await ctx.close();
});

test('the manager dashboard across two tenants and the reports with filters pass axe', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const dashboard = availableTabScreens().find((s) => s.name === 'dashboard');
  const reports = availableTabScreens().find((s) => s.name === 'reports');
  if (!dashboard || !reports) throw new Error('dashboard and reports must exist');
  await openTab(app.page, 'en', dashboard);
  await expect(app.page.getByTestId('chart-by-tenant').locator('svg[role="img"]')).toBeVisible();
  const found: Record<string, string[]> = { dashboard: await seriousViolations(app.page) };
  await openTab(app.page, 'en', reports);
  await app.page.locator('.tenant-picker input[data-tenant="globex"]').check();
  await app.page.getByTestId('report-select').selectOption('movements');
  await expect(app.page.getByTestId('report-table')).toHaveAttribute('data-report', 'movements');
  found.reportsMovements = await seriousViolations(app.page);
  expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0))).toEqual({});
  await ctx.close();
});
