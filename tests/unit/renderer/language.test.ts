import i18next from 'i18next';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseLocale,
  LOCALE_KEY,
  pickLocale,
  resources,
  savedLocale,
  type Locale,
} from '../../../renderer/i18n/index.js';

/** A localStorage for node (the unit project has no DOM). */
function fakeStorage(): Map<string, string> {
  const m = new Map<string, string>();
  (globalThis as { localStorage?: unknown }).localStorage = {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
  return m;
}

afterEach(() => {
  delete (globalThis as { localStorage?: unknown }).localStorage;
});

describe('language choice on this PC', () => {
  beforeAll(async () => {
    await i18next.init({
      lng: 'en',
      fallbackLng: 'en',
      resources: { en: { translation: resources('en') }, 'zh-CN': { translation: resources('zhCN') } },
    });
  });

  it('a choice made in the app beats the machine default and the OS language', () => {
    expect(pickLocale('en', 'en-US', 'zh-CN')).toBe('zh-CN');
    expect(pickLocale(null, 'zh-CN', 'en')).toBe('en');
    expect(pickLocale('zh-CN', 'en-US', null)).toBe('zh-CN');
    expect(pickLocale(null, 'de-DE', null)).toBe('en');
  });

  it('reads the stored choice; nothing, garbage or no storage at all mean "no choice"', () => {
    expect(savedLocale()).toBeNull();
    const m = fakeStorage();
    expect(savedLocale()).toBeNull();
    m.set(LOCALE_KEY, 'fr');
    expect(savedLocale()).toBeNull();
    expect(pickLocale('en', 'en-US')).toBe('en');
    m.set(LOCALE_KEY, 'zh-CN');
    expect(savedLocale()).toBe('zh-CN');
    expect(pickLocale('en', 'en-US')).toBe('zh-CN');
  });

  it('choosing applies at once and is stored; an unsupported language changes nothing', async () => {
    const m = fakeStorage();
    await chooseLocale('zh-CN');
    expect(i18next.language).toBe('zh-CN');
    expect(i18next.t('app.signOut')).toBe('退出登录');
    expect(m.get(LOCALE_KEY)).toBe('zh-CN');
    await expect(chooseLocale('fr' as Locale)).rejects.toThrow(/unsupported language: fr/);
    expect(i18next.language).toBe('zh-CN');
    expect(m.get(LOCALE_KEY)).toBe('zh-CN');
    await chooseLocale('en');
    expect(i18next.t('app.signOut')).toBe('Sign out');
    expect(savedLocale()).toBe('en');
  });

  it('a storage that throws neither stops the start nor the switch', async () => {
    (globalThis as { localStorage?: unknown }).localStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(savedLocale()).toBeNull();
    expect(pickLocale('en', 'en-US')).toBe('en');
    await chooseLocale('zh-CN');
    expect(i18next.language).toBe('zh-CN');
  });
});
