import i18next from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { Barcode } from '../../../renderer/features/print/Barcode.js';
import {
  checksumB,
  code128Bars,
  code128Problem,
  code128Widths,
  CODE128_PATTERNS,
  decodeWidths,
  encodeB,
  QUIET_ZONE,
  widthsOfBars,
} from '../../../renderer/features/print/code128.js';
import { LabelSheet } from '../../../renderer/features/print/PrintSheets.js';
import { resources } from '../../../renderer/i18n/index.js';

const digits = (s: string) => [...s].map(Number);

describe('Code 128 table', () => {
  it('has 107 symbols of 11 modules (stop: 13), an even number of bar modules, all different', () => {
    expect(CODE128_PATTERNS).toHaveLength(107);
    expect(new Set(CODE128_PATTERNS).size).toBe(107);
    CODE128_PATTERNS.forEach((p, v) => {
      const w = digits(p);
      expect(
        w.reduce((a, b) => a + b, 0),
        `symbol ${v}`,
      ).toBe(v === 106 ? 13 : 11);
      expect(w.length, `symbol ${v}`).toBe(v === 106 ? 7 : 6);
      if (v < 106) expect((w[0]! + w[2]! + w[4]!) % 2, `symbol ${v}`).toBe(0);
    });
  });
});

describe('Code 128 B encoder (expected values worked out by hand from the table)', () => {
  it('"A": start B 104, A = 65 − 32 = 33, check (104 + 33·1) mod 103 = 34, stop', () => {
    expect(encodeB('A')).toEqual([104, 33, 34, 106]);
    expect(code128Widths('A')).toEqual(digits('211214' + '111323' + '131123' + '2331112'));
  });
  it('"ACME-1": check (104 + 33 + 35·2 + 45·3 + 37·4 + 13·5 + 17·6) = 657 mod 103 = 39', () => {
    expect(encodeB('ACME-1')).toEqual([104, 33, 35, 45, 37, 13, 17, 39, 106]);
    expect(code128Widths('ACME-1').join('')).toBe(
      ['211214', '111323', '131321', '113123', '132113', '122132', '123221', '211313', '2331112'].join(''),
    );
  });
  it('"Wikipedia": check 3281 mod 103 = 88 (the encyclopedia’s own example)', () => {
    expect(checksumB([55, 73, 75, 73, 80, 69, 68, 73, 65])).toBe(88);
    expect(encodeB('Wikipedia').at(-2)).toBe(88);
    expect(code128Widths('Wikipedia').slice(-13).join('')).toBe('421211' + '2331112');
  });
  it('space and tilde are the ends of code set B (values 0 and 94)', () => {
    expect(encodeB(' ~')).toEqual([104, 0, 94, (104 + 0 + 94 * 2) % 103, 106]);
  });
  it('refuses what set B cannot carry, with a reason', () => {
    expect(code128Problem('')).toEqual({ code: 'empty' });
    expect(code128Problem('A'.repeat(49))).toEqual({ code: 'too-long' });
    expect(code128Problem('AB\u00e9')).toEqual({ code: 'unsupported-character', at: 2 });
    expect(code128Problem('货号')).toEqual({ code: 'unsupported-character', at: 0 });
    expect(code128Problem('A\tB')).toEqual({ code: 'unsupported-character', at: 1 });
    expect(() => encodeB('')).toThrow(/empty/);
    expect(code128Problem('LOC-A-01-02')).toBeNull();
  });
});

describe('reading the bars back', () => {
  const samples = [
    'A',
    'ACME-000007',
    'LOC A-01-02',
    '4006381333931',
    'x~ !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}',
    'a',
  ];
  it('decodes the widths of every sample to its text (start, check and stop verified)', () => {
    for (const s of samples) expect(decodeWidths(code128Widths(s))).toBe(s);
  });
  it('the drawn bars give the same widths, with quiet zones of 10 modules on both sides', () => {
    for (const s of samples) {
      const { bars, modules } = code128Bars(s);
      expect(bars[0]!.x).toBe(QUIET_ZONE);
      const last = bars.at(-1)!;
      expect(modules - (last.x + last.width)).toBe(QUIET_ZONE);
      expect(modules).toBe(2 * QUIET_ZONE + 11 * (s.length + 2) + 13);
      expect(decodeWidths(widthsOfBars(bars))).toBe(s);
    }
  });
  it('a wrong check symbol or a changed bar is not read', () => {
    const w = code128Widths('ACME-1');
    const badCheck = [...w.slice(0, -13), ...digits('212222'), ...digits('2331112')];
    expect(() => decodeWidths(badCheck)).toThrow(/check/);
    const swapped = [...w];
    swapped[9] = w[10]!;
    swapped[10] = w[9]!;
    expect(() => decodeWidths(swapped)).toThrow();
  });
});

describe('labels', () => {
  const i18n = i18next.createInstance();
  beforeAll(async () => {
    await i18n.use(initReactI18next).init({
      lng: 'en',
      resources: { en: { translation: resources('en') } },
      interpolation: { escapeValue: false },
    });
  });
  const render = (el: ReturnType<typeof createElement>) =>
    renderToStaticMarkup(createElement(I18nextProvider, { i18n }, el));

  /** Bars of a rendered SVG, from its rects (the white background rect left out). */
  function barsOf(svg: string): { x: number; width: number }[] {
    return [...svg.matchAll(/<rect x="([\d.]+)" y="0" width="([\d.]+)" height="[\d.]+" fill="#000"/g)].map(
      (m) => ({ x: Number(m[1]), width: Number(m[2]) }),
    );
  }

  it('the SVG a label draws scans back to the label’s code', () => {
    const html = render(createElement(Barcode, { code: 'ACME-000007' }));
    expect(html).toContain('aria-label="Code 128 barcode of ACME-000007"');
    expect(html).toMatch(/viewBox="0 0 176 44"/);
    expect(decodeWidths(widthsOfBars(barsOf(html)))).toBe('ACME-000007');
  });
  it('item and location labels each carry their own barcode; an unencodable code prints as text', () => {
    const html = render(
      createElement(LabelSheet, {
        labels: [
          { code: '4006381333931', title: 'Widget', subtitle: 'ACME-000001 · pcs' },
          { code: 'BIN-A-01-02', title: 'A-01-02' },
          { code: '货架-1', title: 'shelf' },
        ],
      }),
    );
    const svgs = [...html.matchAll(/<svg[^>]*data-code128="([^"]+)"[\s\S]*?<\/svg>/g)];
    expect(svgs.map((m) => m[1])).toEqual(['4006381333931', 'BIN-A-01-02']);
    for (const m of svgs) expect(decodeWidths(widthsOfBars(barsOf(m[0])))).toBe(m[1]);
    expect(html).toContain('Contains characters Code 128 cannot carry');
    expect(html).toContain('货架-1');
  });
});
