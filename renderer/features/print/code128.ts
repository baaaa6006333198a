/**
 * Code 128, code set B (ISO/IEC 15417): printable ASCII to bar/space widths, with the mod-103
 * check symbol and the quiet zones scanners need. Written here rather than pulled in: one table
 * and a few lines, and a decoder next to it so tests can read the bars back.
 */

/**
 * Element widths (in modules) of the 107 symbols, bar first: six elements of 11 modules each;
 * 103–105 are the start symbols A/B/C, 106 the stop (seven elements, 13 modules, ends on a bar).
 */
// prettier-ignore
export const CODE128_PATTERNS: readonly string[] = [
  '212222', '222122', '222221', '121223', '121322', '131222', '122213', '122312', '132212', '221213',
  '221312', '231212', '112232', '122132', '122231', '113222', '123122', '123221', '223211', '221132',
  '221231', '213212', '223112', '312131', '311222', '321122', '321221', '312212', '322112', '322211',
  '212123', '212321', '232121', '111323', '131123', '131321', '112313', '132113', '132311', '211313',
  '231113', '231311', '112133', '112331', '132131', '113123', '113321', '133121', '313121', '211331',
  '231131', '213113', '213311', '213131', '311123', '311321', '331121', '312113', '312311', '332111',
  '314111', '221411', '431111', '111224', '111422', '121124', '121421', '141122', '141221', '112214',
  '112412', '122114', '122411', '142112', '142211', '241211', '221114', '413111', '241112', '134111',
  '111242', '121142', '121241', '114212', '124112', '124211', '411212', '421112', '421211', '212141',
  '214121', '412121', '111143', '111341', '131141', '114113', '114311', '411113', '411311', '113141',
  '114131', '311141', '411131', '211412', '211214', '211232', '2331112',
];

/** Start symbol of code set B. */
export const START_B = 104;
/** Stop symbol. */
export const STOP = 106;
/** Light margin on each side, in modules (the standard's minimum is 10). */
export const QUIET_ZONE = 10;
/** Longest text a label encodes (longer codes would print too narrow to scan). */
export const MAX_LENGTH = 48;

/** Why a text cannot be drawn as Code 128 B. */
export type Code128Problem = { code: 'empty' | 'too-long' | 'unsupported-character'; at?: number };

/** The first reason `text` cannot be encoded in code set B (printable ASCII, 1–48 long), or null. */
export function code128Problem(text: string): Code128Problem | null {
  if (text.length === 0) return { code: 'empty' };
  if (text.length > MAX_LENGTH) return { code: 'too-long' };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c > 126) return { code: 'unsupported-character', at: i };
  }
  return null;
}

/** The mod-103 check value of code set B data values: start weight 1, data weighted by position. */
export function checksumB(values: readonly number[]): number {
  return values.reduce((sum, v, i) => sum + v * (i + 1), START_B) % 103;
}

/** Symbol values of `text`: start B, one per character (ASCII − 32), check, stop. Throws if unencodable. */
export function encodeB(text: string): number[] {
  const problem = code128Problem(text);
  if (problem) throw new Error(`cannot encode as Code 128 B: ${problem.code}`);
  const data = [...text].map((ch) => ch.charCodeAt(0) - 32);
  return [START_B, ...data, checksumB(data), STOP];
}

/** Element widths of `text`'s symbols in order, bar first (quiet zones not included). */
export function code128Widths(text: string): number[] {
  return encodeB(text).flatMap((v) => [...(CODE128_PATTERNS[v] ?? '')].map(Number));
}

/** A bar: where it starts and how wide it is, in modules from the left edge (quiet zone included). */
export type Bar = { x: number; width: number };

/** What to draw: the bars and the total width in modules, quiet zones on both sides included. */
export function code128Bars(text: string): { bars: Bar[]; modules: number } {
  const bars: Bar[] = [];
  let x = QUIET_ZONE;
  code128Widths(text).forEach((w, i) => {
    if (i % 2 === 0) bars.push({ x, width: w });
    x += w;
  });
  return { bars, modules: x + QUIET_ZONE };
}

/**
 * Reads element widths (bar first, as `code128Widths` gives them) back to text, checking the
 * start B symbol, every pattern, the check symbol and the stop. Throws on anything else.
 */
export function decodeWidths(widths: readonly number[]): string {
  const symbol = (at: number, n: number): number => {
    const v = CODE128_PATTERNS.indexOf(widths.slice(at, at + n).join(''));
    if (v < 0) throw new Error(`no Code 128 symbol at element ${at}`);
    return v;
  };
  if (widths.length < 19 || (widths.length - 7) % 6 !== 0) throw new Error('not a Code 128 width sequence');
  const count = (widths.length - 7) / 6;
  const values = Array.from({ length: count }, (_, i) => symbol(i * 6, 6));
  if (values[0] !== START_B) throw new Error('does not start with start B');
  if (symbol(count * 6, 7) !== STOP) throw new Error('no stop symbol');
  const data = values.slice(1, -1);
  if (values[values.length - 1] !== checksumB(data)) throw new Error('check symbol does not match');
  if (data.some((v) => v > 94)) throw new Error('function codes are not read here');
  return String.fromCharCode(...data.map((v) => v + 32));
}

/** Element widths from drawn bars (the inverse of `code128Bars`, for tests and self-checks). */
export function widthsOfBars(bars: readonly Bar[]): number[] {
  return bars.flatMap((b, i) => {
    const next = bars[i + 1];
    return next ? [b.width, next.x - b.x - b.width] : [b.width];
  });
}
