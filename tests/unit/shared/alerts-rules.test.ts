import { describe, expect, it } from 'vitest';
import type { TenantSettings } from '../../../shared/access/policy.js';
import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import type { ActivityEvent } from '../../../shared/alerts/rules.js';
import { evaluateAlerts, localClock, withinWorkingHours } from '../../../shared/alerts/rules.js';

const S: TenantSettings = DEFAULT_TENANT_SETTINGS;
const ev = (userId: string, at: string | number, kind: ActivityEvent['kind'] = 'change'): ActivityEvent => ({
  tenantId: 't1',
  userId,
  at: typeof at === 'number' ? new Date(at).toISOString() : at,
  kind,
});
const base = Date.parse('2031-03-04T10:00:00.000Z');
const burst = (
  userId: string,
  n: number,
  start = base,
  stepMs = 1000,
  kind: ActivityEvent['kind'] = 'change',
) => Array.from({ length: n }, (_, i) => ev(userId, start + i * stepMs, kind));
const now = new Date(base + 3600_000);

describe('rapid changes', () => {
  it('raises nothing at the limit and one alert above it', () => {
    expect(evaluateAlerts(burst('u1', 40), S, now)).toEqual([]);
    const a = evaluateAlerts(burst('u1', 41), S, now);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ rule: 'rapid-changes', userId: 'u1', tenantId: 't1', count: 41 });
    expect(a[0]?.windowStart).toBe(new Date(base).toISOString());
  });

  it('one burst is one alert with one key, however often and wherever it is evaluated', () => {
    const events = burst('u1', 50);
    const keys = new Set<string>();
    for (let n = 41; n <= 50; n++)
      for (const d of evaluateAlerts(events.slice(0, n), S, now)) keys.add(d.dedupKey);
    expect(keys.size).toBe(1);
    // Straddling a slot boundary (slots are 5 minutes) still gives one alert.
    const slot = 5 * 60_000;
    const straddle = burst('u1', 60, Math.ceil(base / slot) * slot - 30_000, 1000);
    expect(evaluateAlerts(straddle, S, now)).toHaveLength(1);
    // The same events in another order (client and server) give the same key.
    const shuffled = [...events].reverse();
    expect(evaluateAlerts(shuffled, S, now)[0]?.dedupKey).toBe(evaluateAlerts(events, S, now)[0]?.dedupKey);
  });

  it('counts per user, ignores events in the future, and separates distant bursts', () => {
    const mixed = [...burst('u1', 30), ...burst('u2', 30)];
    expect(evaluateAlerts(mixed, S, now)).toEqual([]);
    expect(evaluateAlerts(burst('u1', 41), S, new Date(base))).toEqual([]);
    const two = [...burst('u1', 45), ...burst('u1', 45, base + 3 * 3600_000)];
    expect(evaluateAlerts(two, S, new Date(base + 4 * 3600_000))).toHaveLength(2);
    // Spread out: 100 changes, one every 10 s, is 30 per 5 minutes.
    expect(evaluateAlerts(burst('u1', 100, base, 10_000), S, now)).toEqual([]);
    // A tenant's own limit.
    expect(
      evaluateAlerts(burst('u1', 4), { ...S, rapidChanges: { count: 3, minutes: 1 } }, now),
    ).toHaveLength(1);
  });
});

describe('rejected pushes', () => {
  it('raises above the limit within the window only', () => {
    expect(evaluateAlerts(burst('u1', 5, base, 60_000, 'rejected'), S, now)).toEqual([]);
    const a = evaluateAlerts(burst('u1', 6, base, 60_000, 'rejected'), S, now);
    expect(a.map((x) => [x.rule, x.count])).toEqual([['rejected-pushes', 6]]);
    expect(evaluateAlerts(burst('u1', 6, base, 4 * 60_000, 'rejected'), S, now)).toEqual([]);
    // Changes do not count as rejections.
    expect(evaluateAlerts(burst('u1', 6, base, 1000, 'change'), S, now)).toEqual([]);
  });
});

describe('off-hours', () => {
  const wh = { start: '08:00', end: '18:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Berlin' };
  const S2: TenantSettings = { ...S, workingHours: wh };

  it('reads local time in the tenant time zone, with daylight saving', () => {
    // 2031-03-04 is a Tuesday. 06:30Z is 07:30 in Berlin (winter, UTC+1): outside.
    expect(withinWorkingHours(new Date('2031-03-04T06:30:00Z'), wh)).toBe(false);
    expect(withinWorkingHours(new Date('2031-03-04T07:30:00Z'), wh)).toBe(true);
    // Summer (UTC+2): 06:30Z is 08:30 local: inside.
    expect(withinWorkingHours(new Date('2031-07-08T06:30:00Z'), wh)).toBe(true);
    expect(withinWorkingHours(new Date('2031-07-08T16:30:00Z'), wh)).toBe(false);
    // Saturday.
    expect(withinWorkingHours(new Date('2031-03-08T10:00:00Z'), wh)).toBe(false);
    expect(localClock(new Date('2031-03-04T23:30:00Z'), 'Asia/Shanghai')).toEqual({
      day: 3,
      minutes: 450,
      date: '2031-03-05',
    });
    // A night shift across midnight belongs to the day it started.
    const night = { start: '22:00', end: '06:00', days: [1], timeZone: 'UTC' };
    expect(withinWorkingHours(new Date('2031-03-03T23:00:00Z'), night)).toBe(true); // Monday 23:00
    expect(withinWorkingHours(new Date('2031-03-04T05:00:00Z'), night)).toBe(true); // Tuesday 05:00, Monday's shift
    expect(withinWorkingHours(new Date('2031-03-04T23:00:00Z'), night)).toBe(false);
  });

  it('raises one alert per user and local day for destructive changes and exports, never for plain changes', () => {
    const events = [
      ev('u1', '2031-03-04T19:30:00Z', 'destructive'),
      ev('u1', '2031-03-04T20:30:00Z', 'export'),
      ev('u1', '2031-03-04T21:00:00Z', 'change'),
      ev('u1', '2031-03-04T12:00:00Z', 'destructive'),
      ev('u2', '2031-03-04T05:00:00Z', 'export'),
    ];
    const a = evaluateAlerts(events, S2, new Date('2031-03-05T00:00:00Z'));
    expect(a.map((x) => [x.rule, x.userId, x.count, x.detail.localDate])).toEqual([
      ['off-hours', 'u1', 2, '2031-03-04'],
      ['off-hours', 'u2', 1, '2031-03-04'],
    ]);
    expect(a[0]?.dedupKey).toBe('off-hours:u1:2031-03-04');
    expect(evaluateAlerts(events, S, new Date('2031-03-05T00:00:00Z'))).toEqual([]);
  });
});

describe('first access through a grant', () => {
  it('raises one alert per event with a stable key', () => {
    const e = ev('u9', base, 'grant-first-access');
    const a = evaluateAlerts([e], S, now);
    expect(a).toEqual([
      {
        rule: 'first-grant-access',
        tenantId: 't1',
        userId: 'u9',
        windowStart: e.at,
        windowEnd: e.at,
        count: 1,
        detail: {},
        dedupKey: `first-grant-access:u9:${e.at}`,
      },
    ]);
  });
});
