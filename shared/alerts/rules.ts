import { z } from 'zod';
import type { TenantSettings } from '../access/policy.js';

/**
 * Anomaly rules (ACCESS-AND-SYNC.md "Anomaly alerts"). Pure: the server evaluates them after
 * every push, export and first access through a grant; the client evaluates the same rules over
 * its local activity while offline and sends what they raise at the next sync. Both sides derive
 * the same `dedupKey` from the same events, so one burst is stored once.
 */

/** What a user did, when (ISO). Changes carry the device time of the change. */
export const ActivityKind = z.enum(['change', 'destructive', 'export', 'rejected', 'grant-first-access']);
export type ActivityKind = z.infer<typeof ActivityKind>;

export type ActivityEvent = { tenantId: string; userId: string; at: string; kind: ActivityKind };

export const AlertRule = z.enum(['rapid-changes', 'off-hours', 'rejected-pushes', 'first-grant-access']);
export type AlertRule = z.infer<typeof AlertRule>;

/** An alert a rule raised, before it is stored. */
export const AlertDraft = z
  .object({
    rule: AlertRule,
    tenantId: z.string().min(1).max(64),
    userId: z.string().min(1).max(64),
    windowStart: z.iso.datetime({ offset: true }),
    windowEnd: z.iso.datetime({ offset: true }),
    count: z.number().int().nonnegative(),
    detail: z.record(z.string(), z.unknown()),
    /** The same burst gives the same key, wherever it is evaluated. */
    dedupKey: z.string().min(1).max(200),
  })
  .strict();
export type AlertDraft = z.infer<typeof AlertDraft>;

const MINUTE = 60_000;

/** Local weekday (0 = Sunday) and minutes after midnight of `at` in `timeZone`. */
export function localClock(at: Date, timeZone: string): { day: number; minutes: number; date: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  return { day, minutes, date: `${get('year')}-${get('month')}-${get('day')}` };
}

const hhmm = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/**
 * Is `at` inside the working hours? `end` before `start` means a night shift across midnight
 * (the day is the day the shift started).
 */
export function withinWorkingHours(at: Date, wh: NonNullable<TenantSettings['workingHours']>): boolean {
  const { day, minutes } = localClock(at, wh.timeZone);
  const start = hhmm(wh.start);
  const end = hhmm(wh.end);
  if (start <= end) return wh.days.includes(day) && minutes >= start && minutes < end;
  if (minutes >= start) return wh.days.includes(day);
  return minutes < end && wh.days.includes((day + 6) % 7);
}

/**
 * "More than `count` events within `minutes`" for one user's sorted event times. A trigger is an
 * event whose trailing window holds more than `count` events. Triggers are grouped by the
 * `minutes`-long slot of the clock they fall in; a slot whose first trigger lies within `minutes`
 * of a trigger in the previous slot continues that burst and raises nothing new. The key names
 * the slot, so re-evaluating the same events (later, or on another machine) raises the same key.
 */
function bursts(
  times: number[],
  limit: { count: number; minutes: number },
): { start: number; end: number; count: number; slot: number }[] {
  const w = limit.minutes * MINUTE;
  const triggers: { at: number; windowStart: number }[] = [];
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    const t = times[hi] as number;
    while ((times[lo] as number) <= t - w) lo++;
    if (hi - lo + 1 > limit.count) triggers.push({ at: t, windowStart: times[lo] as number });
  }
  const out: { start: number; end: number; count: number; slot: number }[] = [];
  let lastTrigger = -Infinity;
  let current: { start: number; end: number; count: number; slot: number } | null = null;
  for (const tr of triggers) {
    const slot = Math.floor(tr.at / w);
    const continues = tr.at - lastTrigger <= w;
    lastTrigger = tr.at;
    if (current && (current.slot === slot || continues)) {
      current.end = tr.at;
      continue;
    }
    current = { start: tr.windowStart, end: tr.at, count: 0, slot };
    out.push(current);
  }
  for (const b of out) b.count = times.filter((t) => t >= b.start && t <= b.end).length;
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Evaluates every rule over `events` (one tenant's recent activity; at least twice the longest
 * rule window before the newest event) and returns the alerts they raise. Events later than
 * `now` (a device clock ahead) are ignored.
 */
export function evaluateAlerts(
  events: readonly ActivityEvent[],
  settings: TenantSettings,
  now: Date,
): AlertDraft[] {
  const drafts: AlertDraft[] = [];
  const nowMs = now.getTime();
  const byUser = new Map<string, { tenantId: string; kind: ActivityKind; at: number }[]>();
  for (const e of events) {
    const at = Date.parse(e.at);
    if (!Number.isFinite(at) || at > nowMs) continue;
    const list = byUser.get(e.userId) ?? [];
    list.push({ tenantId: e.tenantId, kind: e.kind, at });
    byUser.set(e.userId, list);
  }
  for (const [userId, list] of byUser) {
    list.sort((a, b) => a.at - b.at);
    const tenantId = list[0]?.tenantId ?? '';
    const counted: [AlertRule, ActivityKind[], { count: number; minutes: number }][] = [
      ['rapid-changes', ['change'], settings.rapidChanges],
      ['rejected-pushes', ['rejected'], settings.rejectedPushes],
    ];
    for (const [rule, kinds, limit] of counted) {
      const times = list.filter((e) => kinds.includes(e.kind)).map((e) => e.at);
      for (const b of bursts(times, limit)) {
        drafts.push({
          rule,
          tenantId,
          userId,
          windowStart: iso(b.start),
          windowEnd: iso(b.end),
          count: b.count,
          detail: { limit: limit.count, minutes: limit.minutes },
          dedupKey: `${rule}:${userId}:${iso(b.slot * limit.minutes * MINUTE)}`,
        });
      }
    }
    const wh = settings.workingHours;
    if (wh) {
      // One alert per user and local day, however many destructive changes or exports it holds.
      const days = new Map<string, { first: number; last: number; count: number; kinds: Set<string> }>();
      for (const e of list) {
        if (e.kind !== 'destructive' && e.kind !== 'export') continue;
        const when = new Date(e.at);
        if (withinWorkingHours(when, wh)) continue;
        const date = localClock(when, wh.timeZone).date;
        const d = days.get(date) ?? { first: e.at, last: e.at, count: 0, kinds: new Set<string>() };
        d.last = e.at;
        d.count += 1;
        d.kinds.add(e.kind);
        days.set(date, d);
      }
      for (const [date, d] of days) {
        drafts.push({
          rule: 'off-hours',
          tenantId,
          userId,
          windowStart: iso(d.first),
          windowEnd: iso(d.last),
          count: d.count,
          detail: { localDate: date, timeZone: wh.timeZone, kinds: [...d.kinds].sort() },
          dedupKey: `off-hours:${userId}:${date}`,
        });
      }
    }
    for (const e of list) {
      if (e.kind !== 'grant-first-access') continue;
      drafts.push({
        rule: 'first-grant-access',
        tenantId,
        userId,
        windowStart: iso(e.at),
        windowEnd: iso(e.at),
        count: 1,
        detail: {},
        dedupKey: `first-grant-access:${userId}:${iso(e.at)}`,
      });
    }
  }
  return drafts;
}

/** The longest window any rule looks back over (ms): callers load at least twice this. */
export function alertLookbackMs(settings: TenantSettings): number {
  return Math.max(settings.rapidChanges.minutes, settings.rejectedPushes.minutes) * MINUTE;
}
