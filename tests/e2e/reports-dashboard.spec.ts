import { expect, test } from '@playwright/test';
import type { ReportResult } from '../../shared/api/reports.js';
import { freshServer, signedIn } from './fixtures.js';
import { availableTabScreens, openTab } from './pages/main-screens.js';
import { apiAs } from './server-api.js';

const ITEMS = 10;
const env = freshServer(ITEMS);

const dashboardTab = () => {
  const s = availableTabScreens().find((x) => x.name === 'dashboard');
  if (!s) throw new Error('no dashboard');
  return s;
};

test('the manager dashboard charts stock per client and movements per day, matching the server', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'mgr', ITEMS);
  const page = app.page;
  await openTab(page, 'en', dashboardTab());
  await expect(page.locator('#dashboard-title')).toHaveText('Dashboard: acme, globex');

  const api = await apiAs(env.url, 'mgr');
  const stock = await api.call<ReportResult>('GET', '/api/reports/stock-by-location?tenants=acme,globex');
  const perTenant = (t: string) =>
    stock.rows.filter((r) => r.tenantId === t).reduce((s, r) => s + Number(r.onHand ?? 0), 0);

  const byTenant = page.getByTestId('chart-by-tenant');
  const svg = byTenant.locator('svg[role="img"]');
  await expect(svg.locator('title')).toHaveText('Stock by client');
  await expect(svg.locator('desc')).not.toBeEmpty();
  await expect(svg.locator('[data-bar]')).toHaveCount(2);
  // The table fallback carries the same numbers as the bars.
  await byTenant.locator('summary').click();
  for (const t of ['acme', 'globex']) {
    const row = byTenant.locator('table tr', { has: page.locator(`th:text-is("${t}")`) });
    await expect(row.locator('td')).toHaveText(new Intl.NumberFormat('en').format(perTenant(t)));
  }
  await expect(byTenant).not.toContainText('initech');

  const daily = await api.call<ReportResult>('GET', '/api/reports/movements-daily?tenants=acme,globex');
  const today = new Date().toISOString().slice(0, 10);
  const todayCount = daily.rows.filter((r) => r.day === today).reduce((s, r) => s + Number(r.lines ?? 0), 0);
  expect(todayCount).toBeGreaterThan(0);
  const perDay = page.getByTestId('chart-per-day');
  await expect(perDay.locator('[data-bar]')).toHaveCount(14);
  await perDay.locator('summary').click();
  await expect(perDay.locator('table tbody tr').last().locator('td')).toHaveText(String(todayCount));

  await expect(page.getByTestId('chart-by-location').locator('[data-bar]').first()).toBeVisible();
  await expect(page.getByTestId('chart-expiring')).toHaveAttribute('data-state', 'ready');
  await ctx.close();
});

test('a failing chart shows its error and recovers with Try again; one tenant has no client chart', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const page = app.page;
  await page.route('**/reports/movements-daily*', (route) => route.fulfill({ status: 500, body: 'boom' }));
  await page.locator('nav.tabs').getByRole('button', { name: 'Dashboard', exact: true }).click();
  const perDay = page.getByTestId('chart-per-day');
  await expect(perDay).toHaveAttribute('data-state', 'error');
  await expect(perDay.getByRole('alert')).toContainText('could not be loaded');
  // The other charts do not depend on it.
  await expect(page.getByTestId('chart-by-location')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('chart-by-tenant')).toHaveCount(0);
  await page.unroute('**/reports/movements-daily*');
  await perDay.getByRole('button', { name: 'Try again' }).click();
  await expect(perDay).toHaveAttribute('data-state', 'ready');
  await expect(perDay.locator('svg[role="img"]')).toBeVisible();
  await ctx.close();
});
