import { expect, test, type Browser } from '@playwright/test';
import { freshServer, signedIn as signedInAs } from './fixtures.js';
import { pullAll } from './server-api.js';

const ITEMS = 150;
const env = freshServer(ITEMS);
const signedIn = (browser: Browser, username: string) => signedInAs(browser, env.url, username, ITEMS);

test('offline receipt on A reaches B live after A reconnects', async ({ browser }) => {
  const a = await signedIn(browser, 'op.acme');
  const b = await signedIn(browser, 'op.acme');
  const sku = 'ACME-000007';
  const before = await a.app.onHand(sku);
  await b.app.expectOnHand(sku, before);

  await a.ctx.setOffline(true);
  await a.app.expectOnline(false);
  await a.app.receive(sku, 5, 'RCV-01', 'LOT-42');
  // A counts its own unsynced receipt; the change waits in A's local queue.
  await a.app.expectOnHand(sku, before + 5);
  await a.app.expectPending(1);

  // B and the server have not seen it.
  const serverQty = async () => {
    const balances = await pullAll(env.url, 'op.acme', 'acme', 'balances');
    const items = await pullAll(env.url, 'op.acme', 'acme', 'items');
    const id = items.find((i) => i['sku'] === sku)?.['id'];
    return balances.filter((x) => x['itemId'] === id).reduce((s, x) => s + Number(x['quantity']), 0);
  };
  expect(await serverQty()).toBe(before);
  await b.app.expectOnHand(sku, before);

  await a.ctx.setOffline(false);
  await a.app.expectPending(0);
  // B sees the new balance without reloading: the server's stream told it to pull.
  await b.app.expectOnHand(sku, before + 5);
  expect(await serverQty()).toBe(before + 5);
  await a.app.expectOnHand(sku, before + 5);

  await a.ctx.close();
  await b.ctx.close();
});

test('finance sees purchase prices; the operator database holds none at all', async ({ browser }) => {
  const fin = await signedIn(browser, 'fin.acme');
  await expect(fin.app.page.getByTestId('price-header')).toBeVisible();
  await fin.app.search('ACME-000001');
  await expect(fin.app.row('ACME-000001').locator('.price')).toHaveText(/\d/);
  const finDump = await fin.app.dumpIndexedDb();
  expect(finDump.json).toContain('"purchasePrice"');

  const op = await signedIn(browser, 'op.acme');
  await expect(op.app.page.getByTestId('price-header')).toHaveCount(0);
  const opDump = await op.app.dumpIndexedDb();
  expect(opDump.records).toBeGreaterThanOrEqual(ITEMS);
  expect(opDump.json).toContain('ACME-000001');
  expect(opDump.json).not.toContain('purchasePrice');
  await fin.ctx.close();
  await op.ctx.close();
});

test('a manager switches tenants and sees only the active tenant', async ({ browser }) => {
  const mgr = await signedIn(browser, 'mgr');
  // Only authorized tenants are offered.
  await expect(mgr.app.tenantButton('acme')).toBeVisible();
  await expect(mgr.app.tenantButton('globex')).toBeVisible();
  await expect(mgr.app.tenantButton('initech')).toHaveCount(0);
  await expect(mgr.app.tenantButton('acme')).toHaveAttribute('aria-pressed', 'true');
  expect((await mgr.app.visibleSkus()).every((s) => s.startsWith('ACME-'))).toBe(true);

  // Keyboard shortcut: Ctrl+2 opens the second tenant.
  await mgr.app.page.keyboard.press('Control+2');
  await expect(mgr.app.tenantButton('globex')).toHaveAttribute('aria-pressed', 'true');
  await mgr.app.waitForItems(ITEMS);
  const skus = await mgr.app.visibleSkus();
  expect(skus.length).toBeGreaterThan(0);
  expect(skus.every((s) => s.startsWith('GLBX-'))).toBe(true);
  await mgr.app.search('ACME-');
  await expect(mgr.app.page.locator('[role="row"][data-sku]')).toHaveCount(0);

  await mgr.app.switchTenant('acme');
  await mgr.app.waitForItems(ITEMS);
  await mgr.app.search('');
  expect((await mgr.app.visibleSkus()).every((s) => s.startsWith('ACME-'))).toBe(true);
  await mgr.ctx.close();
});
