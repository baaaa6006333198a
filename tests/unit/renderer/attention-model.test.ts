import i18next from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttentionItem } from '../../../renderer/data/attention-types.js';
import { diffFields, visibleDiff } from '../../../renderer/features/audit/model.js';
import {
  attentionCount,
  codeText,
  copyText,
  copyToClipboard,
  KNOWN_CODES,
  openItems,
  subjectOf,
  subjectText,
} from '../../../renderer/features/attention/model.js';
import { resources } from '../../../renderer/i18n/index.js';

function item(id: string, over: Partial<AttentionItem> = {}): AttentionItem {
  return {
    id,
    tenantId: 'acme',
    collection: 'items',
    docId: 'doc-1',
    code: 'conflict',
    reason: 'fields changed on the server: name',
    localVersion: {
      id: 'doc-1',
      sku: 'ACME-1',
      name: 'Mine',
      uom: 'pc',
      _rev: '3-x',
      pendingAudit: [{ id: 'a' }],
    },
    serverVersion: { id: 'doc-1', sku: 'ACME-1', name: 'Theirs', uom: 'pc' },
    at: '2026-11-26T10:00:00.000Z',
    status: 'open',
    ...over,
  };
}

const i18n = i18next.createInstance();
beforeAll(async () => {
  await i18n.init({
    lng: 'en',
    resources: { en: { translation: resources('en') }, 'zh-CN': { translation: resources('zhCN') } },
    interpolation: { escapeValue: false },
  });
});
const en = (k: string, o?: Record<string, unknown>) => i18n.getFixedT('en')(k, o);
const zh = (k: string, o?: Record<string, unknown>) => i18n.getFixedT('zh-CN')(k, o);

describe('needs attention model', () => {
  it('lists and counts open items only, newest first', () => {
    const items = [
      item('a', { at: '2026-11-26T09:00:00Z' }),
      item('b', { status: 'retried' }),
      item('c', { at: '2026-11-26T11:00:00Z' }),
      item('d', { status: 'discarded' }),
    ];
    expect(openItems(items).map((i) => i.id)).toEqual(['c', 'a']);
    expect(attentionCount(items)).toBe(2);
    expect(attentionCount(null)).toBe(0);
    expect(openItems(null)).toEqual([]);
  });
  it('names an item by SKU and name, a movement by type, quantity and batch', () => {
    expect(subjectText(subjectOf(item('a')), en)).toBe('ACME-1 – Mine');
    const movement = item('m', {
      collection: 'movements',
      localVersion: { type: 'adjustment', quantity: 12, batch: 'B-7', itemId: 'i-1' },
      serverVersion: null,
    });
    expect(subjectOf(movement)).toEqual({
      collection: 'movements',
      type: 'adjustment',
      quantity: '12',
      batch: 'B-7',
      itemId: 'i-1',
    });
    expect(subjectText(subjectOf(movement), en)).toBe('Adjustment of 12 (batch B-7)');
    expect(subjectText(subjectOf(movement), zh)).toBe('调整，数量 12（批次 B-7）');
    const noBatch = item('n', {
      collection: 'movements',
      localVersion: { type: 'pick', quantity: 3, batch: null },
      serverVersion: null,
    });
    expect(subjectText(subjectOf(noBatch), en)).toBe('Pick of 3');
  });
  it('falls back to the server version, then to what is known', () => {
    const partial = item('p', { localVersion: { id: 'doc-1', name: 'Only name' }, serverVersion: null });
    expect(subjectText(subjectOf(partial), en)).toBe('Only name');
    const fromServer = item('s', {
      localVersion: { id: 'doc-1' },
      serverVersion: { sku: 'S-1', name: 'Srv' },
    });
    expect(subjectText(subjectOf(fromServer), en)).toBe('S-1 – Srv');
  });
  it('words every known rejection code in both languages; unknown codes stay as sent', () => {
    for (const code of KNOWN_CODES) {
      expect(codeText(code, en)).not.toContain('attention.');
      expect(codeText(code, zh)).not.toContain('attention.');
    }
    expect(codeText('conflict', en)).toBe('Someone else changed the same fields first.');
    expect(codeText('quota-exceeded', en)).toBe('quota-exceeded');
  });
  it('diffs the server version against the local one, without local bookkeeping', () => {
    const rows = visibleDiff(diffFields(item('a').serverVersion, item('a').localVersion), false);
    expect(rows).toEqual([{ field: 'name', kind: 'changed', before: 'Theirs', after: 'Mine' }]);
  });
  it('copies the local version as JSON without bookkeeping fields', () => {
    const text = copyText(item('a'));
    expect(JSON.parse(text)).toEqual({ id: 'doc-1', sku: 'ACME-1', name: 'Mine', uom: 'pc' });
  });
  it('reports when the clipboard refuses, so the screen can offer the text instead', async () => {
    const written: string[] = [];
    expect(
      await copyToClipboard('x', { writeText: (s: string) => Promise.resolve(void written.push(s)) }),
    ).toBe(true);
    expect(written).toEqual(['x']);
    expect(
      await copyToClipboard('x', { writeText: () => Promise.reject(new Error('NotAllowedError')) }),
    ).toBe(false);
    expect(await copyToClipboard('x', undefined)).toBe(false);
  });
});
