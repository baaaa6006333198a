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

/** One burst of a counted rule: its window, its event count and the slot that names it. */
export type Burst = { start: number; end: number; count: number; slot: number };

/**
 * What the counted rules need to go on from a user's sorted event times without re-reading them:
 * the limit it was built for, the newest time, the `count` newest times (the trailing window test
 * needs no more), the newest burst and how many events came after its last trigger.
 */
export type BurstState = {
  limit: { count: number; minutes: number };
  last: number;
  recent: number[];
  burst: Burst | null;
  after: number;
};

/** A state that has seen no events. */
export function emptyBurstState(limit: { count: number; minutes: number }): BurstState {
  return {
    limit: { count: limit.count, minutes: limit.minutes },
    last: -Infinity,
    recent: [],
    burst: null,
    after: 0,
  };
}

/**
 * "More than `count` events within `minutes`", one event time at a time (times must not decrease:
 * a caller with older events starts again from `emptyBurstState`). A trigger is an event whose
 * trailing window holds more than `count` events. Triggers are grouped by the `minutes`-long slot
 * of the clock they fall in; a slot whose first trigger lies within `minutes` of a trigger in the
 * previous slot continues that burst and raises nothing new. The key names the slot, so
 * re-evaluating the same events (later, or on another machine) raises the same key. A burst's
 * count is the number of events from its start to its last trigger.
 *
 * Mutates `state`; returns the bursts created or extended by these times (each once, in order).
 */
export function advanceBursts(state: BurstState, times: readonly number[]): Burst[] {
  const { count: c, minutes } = state.limit;
  const w = minutes * MINUTE;
  const touched: Burst[] = [];
  for (const t of times) {
    if (t < state.last) throw new Error('advanceBursts: event times must not decrease');
    state.last = t;
    const b = state.burst;
    // An event at the instant of the newest trigger lies inside that burst; later ones wait.
    if (b && t <= b.end) b.count += 1;
    else state.after += 1;
    // Trailing window (t - w, t] holds more than c events: the c-th previous event is inside it.
    const recent = state.recent;
    const trigger = recent.length >= c && (recent[recent.length - c] as number) > t - w;
    if (trigger) {
      const slot = Math.floor(t / w);
      if (b && (b.slot === slot || t - b.end <= w)) {
        b.end = t;
        b.count += state.after;
        state.after = 0;
        if (touched[touched.length - 1] !== b) touched.push(b);
      } else {
        // The previous event was no trigger within w, so this window holds exactly c + 1 events.
        const start = recent[recent.length - c] as number;
        const nb: Burst = { start, end: t, count: c + 1, slot };
        state.burst = nb;
        state.after = 0;
        touched.push(nb);
      }
    }
    recent.push(t);
    if (recent.length > c) recent.splice(0, recent.length - c);
  }
  return touched;
}

/** Every burst of one user's sorted event times (see `advanceBursts`). */
function bursts(times: number[], limit: { count: number; minutes: number }): Burst[] {
  const state = emptyBurstState(limit);
  const out: Burst[] = [];
  for (const t of times) {
    for (const b of advanceBursts(state, [t])) if (out[out.length - 1] !== b) out.push(b);
  }
  return out;
}

/** The draft a counted rule raises for one burst. */
export function burstDraft(
  rule: CountedRule,
  tenantId: string,
  userId: string,
  limit: { count: number; minutes: number },
  b: Burst,
): AlertDraft {
  return {
    rule,
    tenantId,
    userId,
    windowStart: iso(b.start),
    windowEnd: iso(b.end),
    count: b.count,
    detail: { limit: limit.count, minutes: limit.minutes },
    dedupKey: `${rule}:${userId}:${iso(b.slot * limit.minutes * MINUTE)}`,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The rules that count events of one kind in a sliding window, and the kind each counts. */
export type CountedRule = 'rapid-changes' | 'rejected-pushes';
export const COUNTED_RULES: readonly { rule: CountedRule; kind: ActivityKind }[] = [
  { rule: 'rapid-changes', kind: 'change' },
  { rule: 'rejected-pushes', kind: 'rejected' },
];

/** The limit a counted rule applies under the tenant's settings. */
export function countedLimit(
  rule: CountedRule,
  settings: TenantSettings,
): { count: number; minutes: number } {
  return rule === 'rapid-changes' ? settings.rapidChanges : settings.rejectedPushes;
}

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
    const counted: [CountedRule, ActivityKind[], { count: number; minutes: number }][] = [
      ['rapid-changes', ['change'], settings.rapidChanges],
      ['rejected-pushes', ['rejected'], settings.rejectedPushes],
    ];
    for (const [rule, kinds, limit] of counted) {
      const times = list.filter((e) => kinds.includes(e.kind)).map((e) => e.at);
      for (const b of bursts(times, limit)) drafts.push(burstDraft(rule, tenantId, userId, limit, b));
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
