import { test, type Browser, type BrowserContext } from '@playwright/test';
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
