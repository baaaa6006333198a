import i18next from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { MASKED } from '../../../shared/access/policy.js';
import { FieldDiff } from '../../../renderer/features/audit/FieldDiff.js';
import { resources } from '../../../renderer/i18n/index.js';

const i18n = i18next.createInstance();
beforeAll(async () => {
  await i18n.use(initReactI18next).init({
    lng: 'en',
    resources: { en: { translation: resources('en') } },
    interpolation: { escapeValue: false },
  });
});

const render = (before: Record<string, unknown> | null, after: Record<string, unknown> | null) =>
  renderToStaticMarkup(createElement(I18nextProvider, { i18n }, createElement(FieldDiff, { before, after })));

describe('FieldDiff view', () => {
  it('shows changed fields with their kind, not unchanged ones (by default)', () => {
    const html = render({ sku: 'A-1', name: 'Old' }, { sku: 'A-1', name: 'New' });
    expect(html).toContain('data-field="name"');
    expect(html).toContain('data-kind="changed"');
    expect(html).toContain('Old');
    expect(html).toContain('New');
    expect(html).not.toContain('data-field="sku"');
    expect(html).toContain('Show all fields');
  });
  it('renders nothing at all for a field the reader may not see (absent from both snapshots)', () => {
    const html = render({ sku: 'A-1', name: 'Old' }, { sku: 'A-1', name: 'New' });
    expect(html).not.toMatch(/purchasePrice|hidden|•••/);
  });
  it('shows the server mask as sent, and a masked-only change as "no visible change"', () => {
    const html = render({ customerPhone: MASKED, status: 'open' }, { customerPhone: MASKED, status: 'open' });
    expect(html).toContain('No field you may see changed.');
    expect(html).not.toContain('data-field="customerPhone"');
    const created = render(null, { customerPhone: MASKED });
    expect(created).toContain(MASKED);
    expect(created).toContain('data-kind="added"');
  });
  it('says when there is no snapshot at all', () => {
    expect(render(null, null)).toContain('No document snapshot.');
  });
  it('labels the toggle and the table for assistive technology', () => {
    const html = render({ a: 1 }, { a: 2 });
    expect(html).toMatch(/<label[^>]*for="([^"]+)"[^>]*>.*<input[^>]*id="\1"/);
    expect(html).toContain('<caption class="sr-only">Field changes</caption>');
    expect(html).toContain('<th scope="row"');
  });
});
