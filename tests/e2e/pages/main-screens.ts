import { expect, type Page } from '@playwright/test';
import { resources } from '../../../renderer/i18n/index.js';

/** UI languages as the resources name them. */
export type Lang = 'en' | 'zhCN';

/** A main screen reached from the navigation: its tab label key and what shows it is there. */
export type TabScreen = { name: string; tab: string; ready?: (page: Page) => Promise<void> };

const strings = { en: resources('en'), zhCN: resources('zhCN') };

/** A string of the UI by its key path, in `lang`. */
export function ui(lang: Lang, key: string): string {
  const v = key
    .split('.')
    .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], strings[lang]);
  if (typeof v !== 'string') throw new Error(`no string ${key} in ${lang}`);
  return v;
}

/** Every leaf string of a language, with its key. */
export function leaves(lang: Lang): [string, string][] {
  const out: [string, string][] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'string') out.push([`${prefix}${k}`, v]);
      else if (v && typeof v === 'object') walk(v as Record<string, unknown>, `${prefix}${k}.`);
    }
  };
  walk(strings[lang], '');
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Every "loading" text of both languages (keys named loading…), as one pattern. */
const LOADING = new RegExp(
  [...leaves('en'), ...leaves('zhCN')]
    .filter(([k]) => /(^|\.)loading[A-Za-z]*$/.test(k))
    .map(([, v]) => escape(v))
    .join('|'),
);

/** Waits until no loading message shows in the content area. */
export async function settled(page: Page): Promise<void> {
  await expect(page.locator('main.content')).not.toContainText(LOADING, { timeout: 30_000 });
}

/** The main screens behind the navigation tabs (floor screens only when the build has them). */
export const TAB_SCREENS: TabScreen[] = [
  {
    name: 'inventory',
    tab: 'inventory.title',
    ready: async (p) => expect(p.getByTestId('inventory-count')).toBeVisible(),
  },
  {
    name: 'dashboard',
    tab: 'dashboard.title',
    ready: async (p) => {
      await expect(p.locator('.dashboard-panel').first()).toBeVisible();
      await expect(p.locator('.dashboard-panel[data-state="loading"]')).toHaveCount(0);
    },
  },
  {
    name: 'reports',
    tab: 'reports.title',
    ready: async (p) => expect(p.getByTestId('report-count')).toBeVisible(),
  },
  { name: 'print', tab: 'print.title' },
  { name: 'grants', tab: 'grants.title' },
  { name: 'policy', tab: 'policy.title' },
  {
    name: 'sites',
    tab: 'sites.title',
    ready: async (p) => expect(p.getByTestId('sites-locations')).toBeVisible(),
  },
  { name: 'audit', tab: 'audit.title' },
  { name: 'alerts', tab: 'alerts.title' },
  { name: 'attention', tab: 'attention.title' },
  ...['receiving', 'outbound', 'count', 'masterData', 'stockWatch', 'transfer'].map((v) => ({
    name: `floor-${v}`,
    tab: `floor.nav.${v}`,
  })),
];

/** The tab screens this build offers (a key missing from the bundles: that screen is not there). */
export function availableTabScreens(): TabScreen[] {
  return TAB_SCREENS.filter((s) => {
    try {
      ui('en', s.tab);
      return true;
    } catch {
      return false;
    }
  });
}

/** Opens a tab screen by its label in `lang` and waits until it has loaded. */
export async function openTab(page: Page, lang: Lang, screen: TabScreen): Promise<void> {
  await page
    .locator('nav.tabs')
    .getByRole('button', { name: ui(lang, screen.tab), exact: true })
    .click();
  await expect(page.locator('nav.tabs button[aria-current="page"]')).toContainText(ui(lang, screen.tab));
  await expect(page.locator('main.content h2').first()).toBeVisible();
  if (screen.ready) await screen.ready(page);
  await settled(page);
}

/** Opens the item editor of the first item in the inventory grid. */
export async function openItemEditor(page: Page): Promise<void> {
  await page.locator('[role="row"][data-sku]').first().click();
  await expect(page.locator('dialog.item-editor')).toBeVisible();
}

/** Closes the item editor with Escape. */
export async function closeItemEditor(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(page.locator('dialog.item-editor')).toHaveCount(0);
}
