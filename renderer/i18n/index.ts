import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.js';
import { bundles } from './bundles.js';
import { zhCN } from './zh-CN.js';

/** Supported UI languages. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** Pick the UI language: machine config first, then the OS/browser language. */
export function pickLocale(configured: Locale | null, navigatorLanguage: string | undefined): Locale {
  if (configured) return configured;
  return navigatorLanguage?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Core strings plus every feature bundle, for one language. */
export function resources(lang: 'en' | 'zhCN'): Record<string, unknown> {
  const core: Record<string, unknown> = lang === 'en' ? { ...en } : { ...zhCN };
  for (const [ns, b] of Object.entries(bundles)) core[ns] = b[lang];
  return core;
}

/** Keys a screen asked for that no language has (`lng:key`), in the order first asked. */
const missing = new Set<string>();

/** Missing keys seen so far (the e2e i18n suite reads them through `window.__bulkheadI18nMissing`). */
export function missingKeys(): string[] {
  return [...missing];
}

/**
 * Initialise i18next once. A key that no language has (or that only a `defaultValue` covered) is
 * recorded and reported in the console once, in every build: the zh-CN e2e suite fails on it.
 */
export async function initI18n(locale: Locale): Promise<void> {
  await i18next.use(initReactI18next).init({
    lng: locale,
    fallbackLng: 'en',
    resources: { en: { translation: resources('en') }, 'zh-CN': { translation: resources('zhCN') } },
    interpolation: { escapeValue: false },
    returnNull: false,
    saveMissing: true,
    missingKeyHandler: (lngs, _ns, key) => {
      const id = `${[...lngs].join(',')}:${key}`;
      if (missing.has(id)) return;
      missing.add(id);
      console.warn(`i18n: missing key ${key} (${[...lngs].join(',')})`);
    },
  });
  (globalThis as { __bulkheadI18nMissing?: () => string[] }).__bulkheadI18nMissing = missingKeys;
  document.documentElement.lang = locale;
}
