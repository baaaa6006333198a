import i18next from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { floorShortcut } from '../../../renderer/features/floor/FloorChrome.js';
import {
  countKey,
  isStagingLocation,
  readCountSheet,
  sortRows,
} from '../../../renderer/features/floor/model.js';
import { parseQty } from '../../../renderer/features/floor/parts.js';
import {
  cleanScan,
  hitValue,
  itemMatches,
  MAX_SCAN_LENGTH,
  nextFocus,
  printable,
  recognize,
  type ScanLookup,
} from '../../../renderer/features/floor/scan.js';
import { ScanField } from '../../../renderer/features/floor/ScanField.js';
import { resources } from '../../../renderer/i18n/index.js';

const ITEMS = [
  { id: 'i1', sku: 'ACME-000001', name: 'Acme Widget 1', barcode: '2010000000017', barcodes: ['CASE-0001'] },
  { id: 'i2', sku: 'ACME-000002', name: 'Acme Gadget 2', barcode: null, barcodes: [] },
];
const LOCATIONS = [
  { id: 'A-01-01', barcode: 'LOC0001' },
  { id: 'RCV-01', barcode: 'LOC-RCV-01' },
];
const BATCHES = ['LOT-7'];

/** A lookup over fixed data that records what it was asked. */
function fakeLookup(): ScanLookup & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    item: (c) => {
      asked.push(`item:${c}`);
      const i = ITEMS.find((x) => itemMatches(x, c));
      return Promise.resolve(i ? { id: i.id, sku: i.sku, name: i.name } : null);
    },
    location: (c) => {
      asked.push(`location:${c}`);
      const l = LOCATIONS.find((x) => x.id === c.toUpperCase() || x.barcode === c);
      return Promise.resolve(l ? { locationId: l.id } : null);
    },
    batch: (c) => {
      asked.push(`batch:${c}`);
      return Promise.resolve(BATCHES.includes(c) ? c : null);
    },
  };
}

describe('cleanScan: garbage is refused with a reason, scanner noise is not garbage', () => {
  it('accepts a code with a trailing CR/LF/tab or surrounding spaces', () => {
    expect(cleanScan('ACME-000001\r\n')).toEqual({ ok: true, code: 'ACME-000001' });
    expect(cleanScan('  A-01-01\t')).toEqual({ ok: true, code: 'A-01-01' });
  });
  it('strips an AIM symbology prefix (]C1, ]E0)', () => {
    expect(cleanScan(']E02010000000017')).toEqual({ ok: true, code: '2010000000017' });
  });
  it('refuses empty input', () => {
    expect(cleanScan('')).toEqual({ ok: false, code: 'empty' });
    expect(cleanScan('   \r\n')).toEqual({ ok: false, code: 'empty' });
  });
  it('refuses control characters inside the code (GS separators, ESC, NUL, zero-width marks)', () => {
    for (const raw of ['01\u001d2010', 'AB\u001b[2J', 'X\u0000Y', 'ACME\u200b-1', '\u202eACME'])
      expect(cleanScan(raw)).toEqual({ ok: false, code: 'control' });
  });
  it('refuses overlong input, including a huge paste, without walking it', () => {
    expect(cleanScan('A'.repeat(MAX_SCAN_LENGTH))).toEqual({ ok: true, code: 'A'.repeat(MAX_SCAN_LENGTH) });
    expect(cleanScan('A'.repeat(MAX_SCAN_LENGTH + 1))).toEqual({ ok: false, code: 'tooLong' });
    const t0 = performance.now();
    expect(cleanScan('x'.repeat(5_000_000))).toEqual({ ok: false, code: 'tooLong' });
    expect(performance.now() - t0).toBeLessThan(50);
  });
  it('shows refused input printable and short', () => {
    expect(printable('a\u001bb')).toBe('a\\x1bb');
    expect(printable('y'.repeat(100))).toHaveLength(41);
  });
});

describe('recognize', () => {
  it('finds an item by SKU, primary barcode, any extra barcode, case-insensitively', async () => {
    const l = fakeLookup();
    for (const code of ['ACME-000001', 'acme-000001', '2010000000017', 'CASE-0001', 'case-0001']) {
      const r = await recognize(code, ['item'], l);
      expect(r.ok && r.hit.kind === 'item' && r.hit.item.id).toBe('i1');
    }
  });
  it('finds a location by code or barcode, a batch by its code', async () => {
    const l = fakeLookup();
    const loc = await recognize('LOC-RCV-01', ['location'], l);
    expect(loc.ok && hitValue(loc.hit)).toBe('RCV-01');
    const b = await recognize('LOT-7', ['batch'], l);
    expect(b).toEqual({ ok: true, hit: { kind: 'batch', code: 'LOT-7', batch: 'LOT-7' } });
  });
  it('tries the accepted kinds in order and only those', async () => {
    const l = fakeLookup();
    const r = await recognize('A-01-01', ['item', 'location'], l);
    expect(r.ok && r.hit.kind).toBe('location');
    expect(l.asked).toEqual(['item:A-01-01', 'location:A-01-01']);
    const onlyItems = await recognize('A-01-01', ['item'], fakeLookup());
    expect(onlyItems).toEqual({ ok: false, code: 'unknown', raw: 'A-01-01' });
  });
  it('refuses an unknown code and never looks garbage up', async () => {
    const l = fakeLookup();
    expect(await recognize('NOPE-1', ['item', 'location', 'batch'], l)).toMatchObject({
      ok: false,
      code: 'unknown',
    });
    const g = fakeLookup();
    expect(await recognize('AC\u0007ME', ['item'], g)).toMatchObject({ ok: false, code: 'control' });
    expect(await recognize('z'.repeat(10_000), ['item'], g)).toMatchObject({ ok: false, code: 'tooLong' });
    expect(g.asked).toEqual([]);
  });
});

describe('focus after Enter', () => {
  const fields = [
    { id: 'item', enabled: true },
    { id: 'batch', enabled: false },
    { id: 'qty', enabled: true },
    { id: 'bin', enabled: true },
  ];
  it('moves to the next enabled field on success, skipping disabled ones', () => {
    expect(nextFocus(fields, 'item', true)).toBe('qty');
    expect(nextFocus(fields, 'qty', true)).toBe('bin');
  });
  it('goes to the submit control after the last field', () => {
    expect(nextFocus(fields, 'bin', true)).toBeNull();
  });
  it('stays in the field on failure', () => {
    expect(nextFocus(fields, 'item', false)).toBe('item');
  });
});

describe('floor helpers', () => {
  it('Alt+1…6 open the floor screens; other keys do not', () => {
    const k = (key: string, mods: Partial<Record<'altKey' | 'ctrlKey' | 'metaKey', boolean>> = {}) =>
      floorShortcut({ altKey: false, ctrlKey: false, metaKey: false, key, ...mods });
    expect(k('1', { altKey: true })).toBe('receiving');
    expect(k('3', { altKey: true })).toBe('count');
    expect(k('5', { altKey: true })).toBe('stockWatch');
    expect(k('6', { altKey: true })).toBe('transfer');
    expect(k('7', { altKey: true })).toBeNull();
    expect(k('1')).toBeNull();
    expect(k('1', { altKey: true, ctrlKey: true })).toBeNull();
  });
  it('parses floor quantities strictly', () => {
    expect(parseQty('12')).toBe(12);
    expect(parseQty('2,5')).toBe(2.5);
    for (const bad of ['', '0', '-1', '1e3', 'abc', '1.2.3', '99999999999']) expect(parseQty(bad)).toBeNull();
    expect(parseQty('0', true)).toBe(0);
  });
  it('a count sheet posts only when every row has a valid count', () => {
    const row = (itemId: string, typed: string) => ({
      key: countKey({ itemId, locationId: 'A-01-01', batch: null }),
      itemId,
      locationId: 'A-01-01',
      batch: null,
      expected: 5,
      typed,
    });
    const r = readCountSheet([row('a', '4'), row('b', ''), row('c', 'x')]);
    expect(r.lines).toEqual([{ itemId: 'a', locationId: 'A-01-01', batch: null, quantity: 4 }]);
    expect(r.missing).toEqual(['b|A-01-01|']);
    expect(r.invalid).toEqual(['c|A-01-01|']);
    expect(readCountSheet([row('a', '0')]).lines[0]?.quantity).toBe(0);
  });
  it('receiving bins are staging; storage bins are not', () => {
    expect(isStagingLocation('RCV-01')).toBe(true);
    expect(isStagingLocation('A-01-01')).toBe(false);
    expect(isStagingLocation('X-1', 'receiving')).toBe(true);
    expect(isStagingLocation('RCV-01', 'storage')).toBe(false);
  });
  it('sorts with nulls last in both directions', () => {
    const rows = [{ v: 2 }, { v: null }, { v: 1 }];
    expect(sortRows(rows, (r) => r.v, 'asc').map((r) => r.v)).toEqual([1, 2, null]);
    expect(sortRows(rows, (r) => r.v, 'desc').map((r) => r.v)).toEqual([2, 1, null]);
  });
});

describe('sound', () => {
  it('is persisted per PC and beeping never throws where audio is missing', async () => {
    const store = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    });
    vi.resetModules();
    const sound = await import('../../../renderer/features/floor/sound.js');
    expect(sound.useFloorSettings.getState().sound).toBe(true);
    sound.useFloorSettings.getState().setSound(false);
    expect(JSON.parse(store.get(sound.FLOOR_SETTINGS_KEY) ?? '{}')).toMatchObject({
      state: { sound: false },
    });
    // Off: nothing plays. On, but no AudioContext here (node): no sound and no exception.
    expect(sound.beep('ok')).toBe(false);
    expect(sound.beep('error', true)).toBe(false);
    // An AudioContext that throws on construction (no device) is survived too.
    vi.resetModules();
    vi.stubGlobal('AudioContext', function Broken() {
      throw new Error('no audio device');
    });
    const again = await import('../../../renderer/features/floor/sound.js');
    expect(again.useFloorSettings.getState().sound).toBe(false); // read back from storage
    expect(() => again.beep('ok', true)).not.toThrow();
    expect(again.tonesFor('error').length).toBeGreaterThan(1);
    vi.unstubAllGlobals();
  });
});

describe('ScanField view', () => {
  const i18n = i18next.createInstance();
  beforeAll(async () => {
    await i18n.use(initReactI18next).init({
      lng: 'en',
      resources: { en: { translation: resources('en') } },
      interpolation: { escapeValue: false },
    });
  });
  const render = (props: Partial<Parameters<typeof ScanField>[0]>) =>
    renderToStaticMarkup(
      createElement(
        I18nextProvider,
        { i18n },
        createElement(ScanField, {
          name: 'bin',
          label: 'Bin (scan)',
          accept: ['location'],
          lookup: fakeLookup(),
          value: '',
          onChange: () => undefined,
          onRecognized: () => undefined,
          ...props,
        }),
      ),
    );
  it('labels its input and shows what the last scan named', () => {
    const html = render({ hit: { kind: 'location', code: 'LOC0001', locationId: 'A-01-01' } });
    expect(html).toMatch(/<label for="([^"]+)">Bin \(scan\)<\/label><input id="\1"/);
    expect(html).toContain('data-state="ok"');
    expect(html).toContain('Location A-01-01');
  });
  it('shows the hint when nothing was scanned yet', () => {
    const html = render({ hint: 'Suggested: RCV-01' });
    expect(html).toContain('data-state="idle"');
    expect(html).toContain('Suggested: RCV-01');
  });
});
