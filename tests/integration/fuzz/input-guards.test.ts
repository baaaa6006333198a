/**
 * The pure pieces behind the limits: the fixed-window counter, the BULKHEAD_RATE_* settings, and
 * the input check that refuses unstorable text and deep nesting before any handler runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, RateLimiter, rateLimitsFromEnv } from '../../../server/auth/rate-limit.js';
import { findInputProblem, MAX_INPUT_DEPTH } from '../../../server/http/common.js';
import { deepValue } from './zod-arb.js';

describe('RateLimiter', () => {
  it('allows `limit` hits per key and window, then says how long to wait; keys are independent', () => {
    let t = 1_000_000;
    const l = new RateLimiter(() => new Date(t), 3, 60_000);
    expect([l.hit('a'), l.hit('a'), l.hit('a')]).toEqual([0, 0, 0]);
    expect(l.hit('a')).toBe(60);
    expect(l.hit('b')).toBe(0);
    t += 59_500;
    expect(l.hit('a')).toBe(1);
    t += 500;
    expect(l.hit('a')).toBe(0);
  });

  it('a limit of 0 is off, and a flood of distinct keys cannot grow it without bound', () => {
    const off = new RateLimiter(() => new Date(0), 0, 1000);
    for (let i = 0; i < 100; i++) expect(off.hit('x')).toBe(0);
    const small = new RateLimiter(() => new Date(0), 1, 1000, 10);
    for (let i = 0; i < 1000; i++) small.hit(`k${i}`);
    expect((small as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(10);
  });

  it('reads BULKHEAD_RATE_* and refuses nonsense', () => {
    expect(rateLimitsFromEnv({})).toEqual({});
    expect(rateLimitsFromEnv({ BULKHEAD_RATE_LOGIN_PER_IP: '10', BULKHEAD_RATE_API_PER_USER: '0' })).toEqual({
      loginPerIp: 10,
      apiPerUser: 0,
    });
    expect(() => rateLimitsFromEnv({ BULKHEAD_RATE_API_PER_IP: 'lots' })).toThrow(/BULKHEAD_RATE_API_PER_IP/);
    expect(() => rateLimitsFromEnv({ BULKHEAD_RATE_WINDOW_MS: '0' })).toThrow(/BULKHEAD_RATE_WINDOW_MS/);
    expect(DEFAULT_RATE_LIMITS.loginPerIp).toBeLessThan(DEFAULT_RATE_LIMITS.apiPerUser);
  });
});

describe('findInputProblem', () => {
  it('finds NUL and lone surrogates in values and keys, and nesting over the limit, without recursion', () => {
    expect(findInputProblem({ a: ['ok', { b: 'x\u0000' }] })).toEqual({ code: 'invalid_text', at: '.a.1.b' });
    expect(findInputProblem({ ['k\uD800']: 1 })).toEqual({ code: 'invalid_text', at: '.(key)' });
    expect(findInputProblem('\uDC00')).toEqual({ code: 'invalid_text', at: '' });
    expect(findInputProblem(deepValue(200_000, 'array'))?.code).toBe('too_deep');
    expect(findInputProblem(deepValue(MAX_INPUT_DEPTH - 1, 'object'))).toBeNull();
    expect(findInputProblem(deepValue(MAX_INPUT_DEPTH + 1, 'object'))?.code).toBe('too_deep');
  });

  it('flags exactly the values with NUL or lone surrogates; emoji, RTL, CJK and combining marks pass', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' }), (v) => {
        // Well-formed JSON.stringify escapes exactly NUL and lone surrogates as \u escapes.
        const s = JSON.stringify(v);
        // (An escape is one preceded by an even number of backslashes: "\\u0000" text is not NUL.)
        const bad = /(^|[^\\])(\\\\)*\\u(0000|d[89a-f][0-9a-f]{2})/i.test(s);
        expect(findInputProblem(v) !== null).toBe(bad);
      }),
      { numRuns: 500 },
    );
    expect(findInputProblem({ s: '👩‍👩‍👧‍👦 مرحبا e\u0301 中文 \u202E' })).toBeNull();
  });
});
