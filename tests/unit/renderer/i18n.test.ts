import { describe, expect, it } from 'vitest';
import { bundles } from '../../../renderer/i18n/bundles.js';
import { en } from '../../../renderer/i18n/en.js';
import { pickLocale, resources } from '../../../renderer/i18n/index.js';
import { zhCN } from '../../../renderer/i18n/zh-CN.js';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}
const get = (o: object, path: string) =>
  path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], o);
const placeholders = (s: string) => [...s.matchAll(/{{(\w+)}}/g)].map((x) => x[1]).sort();

describe('locales', () => {
  it('zh-CN has exactly the English keys, none empty, same placeholders (core and every feature)', () => {
    const enAll = resources('en');
    const zhAll = resources('zhCN');
    expect(keys(zhAll).sort()).toEqual(keys(enAll).sort());
    for (const k of keys(enAll)) {
      const zh = get(zhAll, k);
      expect(typeof zh, k).toBe('string');
      expect((zh as string).length, k).toBeGreaterThan(0);
      expect(placeholders(zh as string), k).toEqual(placeholders(get(enAll, k) as string));
    }
  });
  it('feature namespaces do not collide with core keys', () => {
    for (const ns of Object.keys(bundles)) {
      expect(Object.keys(en)).not.toContain(ns);
      expect(Object.keys(zhCN)).not.toContain(ns);
    }
  });
  it('picks configured locale, then browser language', () => {
    expect(pickLocale('zh-CN', 'en-US')).toBe('zh-CN');
    expect(pickLocale(null, 'zh-TW')).toBe('zh-CN');
    expect(pickLocale(null, 'de-DE')).toBe('en');
    expect(pickLocale(null, undefined)).toBe('en');
  });
});
