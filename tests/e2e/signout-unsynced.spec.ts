import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { changeAcmePolicy } from './server-api.js';

const ITEMS = 12;
const env = freshServer(ITEMS);

test('on a PC that wipes at sign-out, unsynced changes are only discarded when the user chooses to', async ({
  browser,
}) => {
  // acme's admin makes this a shared PC policy: local data is deleted at sign-out.
  await changeAcmePolicy(env.url, 'shared scanner PCs', (p) => ({
    overrides: p.overrides,
    settings: { ...p.settings, wipeOnLogout: true },
  }));

  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const signOut = app.page.getByRole('button', { name: 'Sign out' });
  const dialog = app.page.getByRole('dialog', { name: 'Changes not synced yet' });

  // Offline, a receipt: it cannot reach the server.
  await ctx.setOffline(true);
  await app.expectOnline(false);
  await app.receive('ACME-000002', 3);
  await app.expectPending(1);

  await signOut.click();
  await expect(dialog).toBeVisible({ timeout: 15_000 });
  await expect(dialog).toContainText('1 change on this PC has not reached the server');
  // Escape keeps everything: still signed in, the change still pending.
  await app.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(app.page.getByTestId('current-user')).toBeVisible();
  await app.expectPending(1);

  // Chosen explicitly: discard and sign out; nothing of acme stays on this PC.
  await signOut.click();
  await expect(dialog).toBeVisible({ timeout: 15_000 });
  await dialog.getByRole('button', { name: 'Discard 1 change and sign out' }).click();
  await expect(app.page.getByLabel(/username/i)).toBeVisible();
  await expect
    .poll(async () => (await app.dumpIndexedDb()).databases.filter((n) => n.includes('__acme--')))
    .toEqual([]);
  await ctx.close();
});

test('on a PC that wipes at sign-out, changes that synced sign out without a question', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  await app.receive('ACME-000003', 2);
  await app.expectPending(0);
  await app.page.getByRole('button', { name: 'Sign out' }).click();
  await expect(app.page.getByLabel(/username/i)).toBeVisible();
  await expect(app.page.getByRole('dialog', { name: 'Changes not synced yet' })).toHaveCount(0);
  await ctx.close();
});
