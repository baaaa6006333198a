import { expect, test } from '@playwright/test';
import { freshServer } from './fixtures.js';
import { AppPage } from './pages/app-page.js';

const ITEMS = 4;
const env = freshServer(ITEMS);

test('the language switcher: by keyboard, applied at once, kept across a reload on this PC', async ({
  browser,
}) => {
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  const app = new AppPage(page);
  await app.open(env.url);
  // The machine has said nothing: the browser's English.
  await expect(page.getByRole('heading', { name: 'Bulkhead — Sign in' })).toBeVisible();
  await app.login('op.acme');
  await app.waitForItems(ITEMS);
  const nav = page.getByRole('navigation', { name: 'Bulkhead' });
  await expect(nav.getByRole('button', { name: 'Inventory', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();

  // Keyboard only: focus the switcher and choose the next language with the arrow key.
  const language = page.getByRole('combobox', { name: 'Language' });
  await language.focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  await expect(nav.getByRole('button', { name: '库存', exact: true })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Inventory', exact: true })).toHaveCount(0);
  // Still signed in, same screen and data: nothing was reloaded.
  await expect(page.getByTestId('current-user')).toBeVisible();
  await expect(page.getByRole('combobox', { name: '语言' })).toHaveValue('zh-CN');

  // A reload (the browser keeps no refresh token, so it asks for the password) stays Chinese.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Bulkhead — 登录' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: '语言' })).toHaveValue('zh-CN');
  await app.login('op.acme');
  await expect(nav.getByRole('button', { name: '库存', exact: true })).toBeVisible();

  // The choice beats the machine's default (here the URL's ?lang=en stands in for the config).
  await page.goto(`${env.url}/?lang=en`);
  await expect(page.getByRole('heading', { name: 'Bulkhead — 登录' })).toBeVisible();

  // And back, from the sign-in screen: English at once and after a reload.
  await page.getByRole('combobox', { name: '语言' }).selectOption('en');
  await expect(page.getByRole('heading', { name: 'Bulkhead — Sign in' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Bulkhead — Sign in' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Language' })).toHaveValue('en');

  // Another PC (a fresh browser profile) has its own setting.
  const other = await browser.newContext({ locale: 'en-US' });
  const otherPage = await other.newPage();
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await otherPage.goto(env.url);
  await expect(otherPage.getByRole('heading', { name: 'Bulkhead — Sign in' })).toBeVisible();
  await other.close();
  await ctx.close();
});
