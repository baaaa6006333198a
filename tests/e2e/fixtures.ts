import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AppPage } from './pages/app-page.js';

/**
 * A fresh server and database (embedded PGlite, demo tenants with `items` items each) for the
 * calling test file, serving the renderer built by the global setup.
 */
export function freshServer(items: number): { readonly url: string; readonly server: TestServer } {
  let server: TestServer | undefined;
  test.beforeAll(async () => {
    server = await startTestServer({
      backend: 'pglite',
      seed: { itemsPerTenant: items },
      staticDir: 'dist/renderer',
    });
  });
  test.afterAll(async () => {
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('server not started yet');
      return server;
    },
    get url() {
      return this.server.url;
    },
  };
}

/** A new browser context signed in as `username`, first sync of `items` items done. */
export async function signedIn(
  browser: Browser,
  baseUrl: string,
  username: string,
  items: number,
): Promise<{ ctx: BrowserContext; app: AppPage }> {
  const ctx = await browser.newContext();
  const app = new AppPage(await ctx.newPage());
  await app.open(baseUrl);
  await app.login(username);
  await app.waitForItems(items);
  return { ctx, app };
}

/**
 * A new browser context whose language is Simplified Chinese, the app open at sign-in (already
 * switched to zh-CN, as a Chinese browser does). `warnings` collects the missing-key reports.
 */
export async function chineseApp(
  browser: Browser,
  baseUrl: string,
): Promise<{
  ctx: BrowserContext;
  page: Page;
  app: AppPage;
  warnings: string[];
  /** Asserts that no translation key was missing so far (the app's own record and the console). */
  expectNoMissingKeys: () => Promise<void>;
}> {
  const ctx = await browser.newContext({ locale: 'zh-CN' });
  const page = await ctx.newPage();
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.text().startsWith('i18n: missing key')) warnings.push(m.text());
  });
  const app = new AppPage(page);
  await app.open(baseUrl);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  const expectNoMissingKeys = async () => {
    const missing = await page.evaluate(
      () => (globalThis as { __bulkheadI18nMissing?: () => string[] }).__bulkheadI18nMissing?.() ?? null,
    );
    expect(missing).toEqual([]);
    expect(warnings).toEqual([]);
  };
  return { ctx, page, app, warnings, expectNoMissingKeys };
}
