import i18next from 'i18next';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Grant } from '../../../shared/api/grants.js';
import { ApiError, NetworkError } from '../../../renderer/data/api.js';
import {
  defaultGrantForm,
  durationOf,
  formatRemaining,
  grantActions,
  grantPhase,
  localInputToIso,
  remainingOf,
  remoteError,
  remoteErrorText,
  requesterLabel,
  sortGrants,
  toLocalInput,
  validateDecisionReason,
  validateGrantForm,
  type GrantForm,
  type Translate,
} from '../../../renderer/features/grants/model.js';
import { resources } from '../../../renderer/i18n/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const from = '2026-11-26T08:00:00.000Z';
const until = '2026-11-26T16:00:00.000Z';
const at = (iso: string, plusMs = 0) => new Date(Date.parse(iso) + plusMs);

let en: Translate;
let zh: Translate;
beforeAll(async () => {
  const make = async (lng: string) => {
    const i = i18next.createInstance();
    await i.init({
      lng,
      resources: { en: { translation: resources('en') }, 'zh-CN': { translation: resources('zhCN') } },
      interpolation: { escapeValue: false },
    });
    return (k: string, o?: Record<string, unknown>) => i.t(k, o);
  };
  en = await make('en');
  zh = await make('zh-CN');
});

describe('remaining time', () => {
  it('is active from validFrom inclusive to validUntil exclusive', () => {
    expect(remainingOf(from, until, at(from))).toEqual({
      kind: 'left',
      duration: { unit: 'hours', hours: 8 },
    });
    expect(remainingOf(from, until, at(from, -1)).kind).toBe('startsIn');
    expect(remainingOf(from, until, at(until, -1))).toEqual({
      kind: 'left',
      duration: { unit: 'lessThanMinute' },
    });
    expect(remainingOf(from, until, at(until))).toEqual({ kind: 'expired' });
    expect(remainingOf(from, until, at(until, HOUR))).toEqual({ kind: 'expired' });
  });

  it('rounds down to whole minutes and switches units at the boundaries', () => {
    expect(durationOf(MIN - 1)).toEqual({ unit: 'lessThanMinute' });
    expect(durationOf(MIN)).toEqual({ unit: 'minutes', minutes: 1 });
    expect(durationOf(HOUR - 1)).toEqual({ unit: 'minutes', minutes: 59 });
    expect(durationOf(HOUR)).toEqual({ unit: 'hours', hours: 1 });
    expect(durationOf(2 * HOUR + 14 * MIN + 59_999)).toEqual({ unit: 'hoursMinutes', hours: 2, minutes: 14 });
    expect(durationOf(24 * HOUR - 1)).toEqual({ unit: 'hoursMinutes', hours: 23, minutes: 59 });
    expect(durationOf(24 * HOUR)).toEqual({ unit: 'days', days: 1 });
    expect(durationOf(27 * HOUR + 30 * MIN)).toEqual({ unit: 'daysHours', days: 1, hours: 3 });
  });

  it('reads naturally in English and Chinese', () => {
    const left = remainingOf(from, until, at(until, -(2 * HOUR + 14 * MIN + 30_000)));
    expect(formatRemaining(left, en)).toBe('2 h 14 min left');
    expect(formatRemaining(left, zh)).toBe('剩余 2 小时 14 分钟');
    const starts = remainingOf(from, until, at(from, -5 * MIN));
    expect(formatRemaining(starts, en)).toBe('starts in 5 min');
    expect(formatRemaining(starts, zh)).toBe('5 分钟后生效');
    expect(formatRemaining({ kind: 'expired' }, en)).toBe('expired');
    expect(formatRemaining({ kind: 'expired' }, zh)).toBe('已过期');
    expect(formatRemaining({ kind: 'left', duration: durationOf(30_000) }, en)).toBe('less than 1 min left');
    expect(formatRemaining({ kind: 'left', duration: durationOf(49 * HOUR) }, en)).toBe('2 d 1 h left');
  });

  it('derives the phase of approved grants from the clock', () => {
    const g = { status: 'approved' as const, validFrom: from, validUntil: until };
    expect(grantPhase(g, at(from, -1))).toBe('scheduled');
    expect(grantPhase(g, at(from))).toBe('active');
    expect(grantPhase(g, at(until))).toBe('expired');
    expect(grantPhase({ ...g, status: 'revoked' }, at(from))).toBe('revoked');
    expect(grantPhase({ ...g, status: 'pending' }, at(from))).toBe('pending');
  });
});

describe('local date-time inputs', () => {
  const tz = process.env['TZ'];
  afterEach(() => {
    if (tz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = tz;
  });

  it('sends the local time with its UTC offset', () => {
    process.env['TZ'] = 'Asia/Shanghai';
    expect(localInputToIso('2026-11-26T09:30')).toBe('2026-11-26T09:30:00+08:00');
    expect(Date.parse(localInputToIso('2026-11-26T09:30'))).toBe(Date.parse('2026-11-26T01:30:00Z'));
    process.env['TZ'] = 'America/New_York';
    expect(localInputToIso('2026-11-26T09:30')).toBe('2026-11-26T09:30:00-05:00');
    process.env['TZ'] = 'UTC';
    expect(localInputToIso('2026-11-26T09:30:15')).toBe('2026-11-26T09:30:15+00:00');
  });

  it('rejects what is not a real local date-time', () => {
    expect(localInputToIso('')).toBe('');
    expect(localInputToIso('2026-02-31T10:00')).toBe('');
    expect(localInputToIso('2026-11-26 09:30')).toBe('');
    expect(localInputToIso('2026-11-26T25:00')).toBe('');
  });

  it('round-trips with toLocalInput and defaults to now → now + 8 h', () => {
    process.env['TZ'] = 'Europe/Berlin';
    const now = new Date('2026-11-26T08:28:45Z');
    const form = defaultGrantForm(now, 'acme');
    expect(form.validFrom).toBe('2026-11-26T09:28');
    expect(form.validUntil).toBe('2026-11-26T17:28');
    expect(Date.parse(localInputToIso(toLocalInput(now)))).toBe(Date.parse('2026-11-26T08:28:00Z'));
  });
});

describe('request form', () => {
  const form = (patch: Partial<GrantForm> = {}): GrantForm => ({
    ...defaultGrantForm(new Date('2026-11-26T08:00:00Z'), 'acme'),
    reason: 'inventory count',
    ...patch,
  });

  it('builds the contract body', () => {
    const r = validateGrantForm(form(), false);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body).toMatchObject({ tenantId: 'acme', role: 'operator', reason: 'inventory count' });
    expect(Date.parse(r.body.validUntil) - Date.parse(r.body.validFrom)).toBe(8 * HOUR);
    expect(r.body).not.toHaveProperty('username');
  });

  it('reports each bad field with its own message', () => {
    const r = validateGrantForm(form({ tenantId: '', reason: ' ab ', validFrom: '' }), false);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({
      tenantId: 'grants.errors.tenant',
      reason: 'grants.errors.reasonShort',
      validFrom: 'grants.errors.date',
    });
    const long = validateGrantForm(form({ reason: 'x'.repeat(501) }), false);
    expect(long.ok ? null : long.errors.reason).toBe('grants.errors.reasonLong');
  });

  it('refuses a window that ends before it starts', () => {
    const r = validateGrantForm(
      form({ validFrom: '2026-11-26T10:00', validUntil: '2026-11-26T10:00' }),
      false,
    );
    expect(r.ok ? null : r.errors).toEqual({ validUntil: 'grants.errors.order' });
  });

  it('sends the username only for admins of the tenant', () => {
    const asAdmin = validateGrantForm(form({ username: ' op.globex ' }), true);
    expect(asAdmin.ok && asAdmin.body.username).toBe('op.globex');
    const asOther = validateGrantForm(form({ username: 'op.globex' }), false);
    expect(asOther.ok && asOther.body).not.toHaveProperty('username');
    const blank = validateGrantForm(form({ username: '   ' }), true);
    expect(blank.ok && blank.body).not.toHaveProperty('username');
  });

  it('requires a decision reason for reject and revoke', () => {
    expect(validateDecisionReason('  no ')).toEqual({ ok: false, error: 'grants.errors.reasonShort' });
    expect(validateDecisionReason(' done early ')).toEqual({ ok: true, body: { reason: 'done early' } });
    expect(validateDecisionReason('x'.repeat(501))).toEqual({ ok: false, error: 'grants.errors.reasonLong' });
  });
});

describe('grant list', () => {
  const grant = (patch: Partial<Grant>): Grant => ({
    id: 'g',
    tenantId: 'acme',
    userId: 'u',
    username: 'op.globex',
    role: 'operator',
    validFrom: from,
    validUntil: until,
    reason: 'count',
    status: 'pending',
    requestedBy: 'op.globex',
    decidedBy: null,
    decidedAt: null,
    createdAt: from,
    canDecide: false,
    canRevoke: false,
    ...patch,
  });

  it('offers decisions only where the server allows them', () => {
    expect(grantActions(grant({ canDecide: true }))).toEqual({ approve: true, reject: true, revoke: false });
    expect(grantActions(grant({ canDecide: false }))).toEqual({
      approve: false,
      reject: false,
      revoke: false,
    });
    expect(grantActions(grant({ status: 'approved', canRevoke: true }))).toEqual({
      approve: false,
      reject: false,
      revoke: true,
    });
  });

  it('lists pending first, then newest first', () => {
    const list = sortGrants([
      grant({ id: 'old', status: 'approved', createdAt: '2026-01-01T00:00:00Z' }),
      grant({ id: 'new', status: 'rejected', createdAt: '2026-02-01T00:00:00Z' }),
      grant({ id: 'p', status: 'pending', createdAt: '2025-01-01T00:00:00Z' }),
    ]);
    expect(list.map((g) => g.id)).toEqual(['p', 'new', 'old']);
  });

  it('words server errors: offline, 409 already member, 403', () => {
    expect(remoteErrorText(remoteError(new NetworkError('x')), en, 'grants.list.failed')).toBe(
      'Grants need a connection to the server. Try again when you are online.',
    );
    expect(
      remoteErrorText(remoteError(new ApiError(409, 'already_member', 'is a member')), en, 'k'),
    ).toContain('already has access');
    expect(remoteErrorText(remoteError(new ApiError(403, 'forbidden', 'no')), zh, 'k')).toBe(
      '您无权执行此操作：no',
    );
    expect(remoteErrorText(remoteError(new ApiError(400, 'bad', 'oops')), en, 'grants.request.failed')).toBe(
      'The request was not accepted: oops',
    );
  });
});

describe('requester', () => {
  it('names the grantee when they asked themselves, else the requester id', () => {
    expect(requesterLabel({ requestedBy: 'u1', userId: 'u1', username: 'op.globex' })).toBe('op.globex');
    expect(requesterLabel({ requestedBy: 'u9', userId: 'u1', username: 'op.globex' })).toBe('u9');
  });
});
