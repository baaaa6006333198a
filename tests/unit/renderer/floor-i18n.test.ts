import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocationKind, OrderStatus, ReceiptStatus } from '../../../shared/domain/floor.js';
import { resources } from '../../../renderer/i18n/index.js';
import { FLOOR_ITEM_FIELDS } from '../../../renderer/features/items/floor-fields.js';

const get = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o);

const dirs = ['renderer/features/floor', 'renderer/features/items'];
const sources = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.tsx') || f.endsWith('.ts'))
    .map((f) => ({ file: join(d, f), text: readFileSync(join(d, f), 'utf8') })),
);

describe('floor screens: every string the code asks for exists in both languages', () => {
  for (const lang of ['en', 'zhCN'] as const) {
    const res = resources(lang);
    it(`literal t('…') keys (${lang})`, () => {
      const missing: string[] = [];
      let seen = 0;
      for (const { file, text } of sources)
        for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) {
          const key = m[1] ?? '';
          seen++;
          if (typeof get(res, key) !== 'string') missing.push(`${file}: ${key}`);
        }
      expect(seen).toBeGreaterThan(150);
      expect(missing).toEqual([]);
    });
    it(`keys built at run time (${lang})`, () => {
      const keys = [
        ...['empty', 'tooLong', 'control', 'unknown'].map((c) => `floor.scan.${c}`),
        ...['item', 'location', 'batch'].map((k) => `floor.scan.kinds.${k}`),
        ...['receiving', 'outbound', 'count', 'masterData', 'stockWatch', 'transfer'].map(
          (v) => `floor.nav.${v}`,
        ),
        ...ReceiptStatus.options.map((s) => `floor.receiving.status.${s}`),
        ...OrderStatus.options.map((s) => `floor.outbound.status.${s}`),
        ...LocationKind.options.map((k) => `floor.master.kinds.${k}`),
        ...['location', 'item'].map((m) => `floor.count.mode_${m}`),
        ...['items', 'locations', 'import'].map((x) => `floor.master.${x}`),
        ...['reading', 'checking'].map((x) => `floor.import.${x}`),
        ...['number', 'customer', 'line1', 'city', 'postalCode', 'country'].map((x) => `floor.outbound.${x}`),
        ...FLOOR_ITEM_FIELDS.map((f) => `items.${f.field}`),
        ...[
          'no-partition',
          'forbidden',
          'invalid',
          'not-found',
          'duplicate-sku',
          'duplicate-number',
          'unknown-location',
          'batch-required',
          'expiry-required',
          'insufficient-stock',
          'bad-status',
          'not-fully-picked',
          'nothing-to-ship',
          'confirmation-required',
          'confirmation-mismatch',
          'cosign-required',
        ].map((c) => `floor.err.${c}`),
      ];
      expect(keys.filter((k) => typeof get(res, k) !== 'string')).toEqual([]);
    });
  }
});
