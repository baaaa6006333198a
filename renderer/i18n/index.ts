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

/** Initialise i18next once; missing keys are reported in the console in development. */
export async function initI18n(locale: Locale): Promise<void> {
  await i18next.use(initReactI18next).init({
    lng: locale,
    fallbackLng: 'en',
    resources: { en: { translation: resources('en') }, 'zh-CN': { translation: resources('zhCN') } },
    interpolation: { escapeValue: false },
    returnNull: false,
    saveMissing: import.meta.env.DEV,
    missingKeyHandler: (_lngs, _ns, key) => console.warn(`i18n: missing key ${key}`),
  });
  document.documentElement.lang = locale;
}
