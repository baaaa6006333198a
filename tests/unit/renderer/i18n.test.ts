import { describe, expect, it } from 'vitest';
import { en } from '../../../renderer/i18n/en.js';
import { pickLocale } from '../../../renderer/i18n/index.js';
import { zhCN } from '../../../renderer/i18n/zh-CN.js';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('locales', () => {
  it('zh-CN has exactly the English keys, none empty, same placeholders', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
    const get = (o: object, path: string) =>
      path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], o);
    for (const k of keys(en)) {
      const zh = get(zhCN, k) as string;
      expect(zh.length, k).toBeGreaterThan(0);
      const ph = (s: string) => [...s.matchAll(/{{(\w+)}}/g)].map((x) => x[1]).sort();
      expect(ph(zh), k).toEqual(ph(get(en, k) as string));
    }
  });
  it('picks configured locale, then browser language', () => {
    expect(pickLocale('zh-CN', 'en-US')).toBe('zh-CN');
    expect(pickLocale(null, 'zh-TW')).toBe('zh-CN');
    expect(pickLocale(null, 'de-DE')).toBe('en');
    expect(pickLocale(null, undefined)).toBe('en');
  });
});
