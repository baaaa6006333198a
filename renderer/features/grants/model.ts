import { Role } from '../../../shared/access/policy.js';
import { GrantDecisionBody, GrantRequestBody, type Grant } from '../../../shared/api/grants.js';
import { ApiError, NetworkError } from '../../data/api.js';
import { localInputToIso, toLocalInput } from '../../components/local-time.js';

/** Local-time inputs (shared with other forms). */
export { localInputToIso, toLocalInput };

/** A translate function (react-i18next's `t` fits); the model builds keys, never sentences. */
export type Translate = (key: string, options?: Record<string, unknown>) => string;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long something lasts, reduced to the two largest units a person reads at a glance. */
export type Duration =
  | { unit: 'lessThanMinute' }
  | { unit: 'minutes'; minutes: number }
  | { unit: 'hours'; hours: number }
  | { unit: 'hoursMinutes'; hours: number; minutes: number }
  | { unit: 'days'; days: number }
  | { unit: 'daysHours'; days: number; hours: number };

/**
 * A positive span of milliseconds as a duration, rounded down to whole minutes so a countdown
 * never promises more time than is left ("2 h 14 min" until 2 h 14 min have fully passed).
 */
export function durationOf(ms: number): Duration {
  if (ms < MINUTE) return { unit: 'lessThanMinute' };
  if (ms < HOUR) return { unit: 'minutes', minutes: Math.floor(ms / MINUTE) };
  if (ms < DAY) {
    const hours = Math.floor(ms / HOUR);
    const minutes = Math.floor((ms % HOUR) / MINUTE);
    return minutes === 0 ? { unit: 'hours', hours } : { unit: 'hoursMinutes', hours, minutes };
  }
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  return hours === 0 ? { unit: 'days', days } : { unit: 'daysHours', days, hours };
}

/** Where `now` stands relative to a grant's window (validFrom inclusive, validUntil exclusive). */
export type Remaining =
  { kind: 'startsIn'; duration: Duration } | { kind: 'left'; duration: Duration } | { kind: 'expired' };

/** Remaining time of a window at `now`, by the same rule as `isMembershipActive`. */
export function remainingOf(validFrom: string, validUntil: string, now: Date): Remaining {
  const t = now.getTime();
  const from = Date.parse(validFrom);
  const until = Date.parse(validUntil);
  if (Number.isNaN(until) || until <= t) return { kind: 'expired' };
  if (!Number.isNaN(from) && from > t) return { kind: 'startsIn', duration: durationOf(from - t) };
  return { kind: 'left', duration: durationOf(until - t) };
}

/** A duration in the UI language. */
export function formatDuration(d: Duration, t: Translate): string {
  switch (d.unit) {
    case 'lessThanMinute':
      return t('grants.duration.lessThanMinute');
    case 'minutes':
      return t('grants.duration.minutes', { minutes: d.minutes });
    case 'hours':
      return t('grants.duration.hours', { hours: d.hours });
    case 'hoursMinutes':
      return t('grants.duration.hoursMinutes', { hours: d.hours, minutes: d.minutes });
    case 'days':
      return t('grants.duration.days', { days: d.days });
    case 'daysHours':
      return t('grants.duration.daysHours', { days: d.days, hours: d.hours });
  }
}

/** "2 h 14 min left", "starts in 5 min", "expired" in the UI language. */
export function formatRemaining(r: Remaining, t: Translate): string {
  if (r.kind === 'expired') return t('grants.remaining.expired');
  const duration = formatDuration(r.duration, t);
  return r.kind === 'startsIn'
    ? t('grants.remaining.startsIn', { duration })
    : t('grants.remaining.left', { duration });
}

/** What the list shows as a grant's state: approved grants are scheduled, active or expired. */
export type GrantPhase = 'pending' | 'rejected' | 'revoked' | 'scheduled' | 'active' | 'expired';

export function grantPhase(g: Pick<Grant, 'status' | 'validFrom' | 'validUntil'>, now: Date): GrantPhase {
  if (g.status !== 'approved') return g.status;
  const r = remainingOf(g.validFrom, g.validUntil, now);
  return r.kind === 'expired' ? 'expired' : r.kind === 'startsIn' ? 'scheduled' : 'active';
}

/** Whether the list shows a countdown for the grant (it still can or does give access). */
export function showsRemaining(g: Pick<Grant, 'status'>): boolean {
  return g.status === 'approved' || g.status === 'pending';
}

/**
 * Who asked: the grant names only the grantee's username; `requestedBy` is a user id, shown as
 * the username when the grantee asked for themselves.
 */
export function requesterLabel(g: Pick<Grant, 'requestedBy' | 'userId' | 'username'>): string {
  return g.requestedBy === g.userId ? g.username : g.requestedBy;
}

/** Pending requests first (they need someone), then newest first. */
export function sortGrants(grants: readonly Grant[]): Grant[] {
  return [...grants].sort((a, b) => {
    const pa = a.status === 'pending' ? 0 : 1;
    const pb = b.status === 'pending' ? 0 : 1;
    if (pa !== pb) return pa - pb;
    return Date.parse(b.createdAt) - Date.parse(a.createdAt);
  });
}

/** The request form as the inputs hold it (strings, local times). */
export type GrantForm = {
  tenantId: string;
  role: Role;
  validFrom: string;
  validUntil: string;
  reason: string;
  /** Only used when the requester is admin of the chosen tenant. */
  username: string;
};
export type GrantFormField = keyof GrantForm;
export type GrantFormErrors = Partial<Record<GrantFormField, string>>;

/** Default window: from now for eight hours; operator, the most common temporary need. */
export function defaultGrantForm(now: Date, tenantId = ''): GrantForm {
  return {
    tenantId,
    role: 'operator',
    validFrom: toLocalInput(now),
    validUntil: toLocalInput(new Date(now.getTime() + 8 * HOUR)),
    reason: '',
    username: '',
  };
}

const FORM_FIELDS = new Set<string>(['tenantId', 'role', 'validFrom', 'validUntil', 'reason', 'username']);

/** i18n key of the message for a zod issue on a field of the request. */
function issueKey(field: GrantFormField, code: string): string {
  switch (field) {
    case 'tenantId':
      return 'grants.errors.tenant';
    case 'role':
      return 'grants.errors.role';
    case 'validFrom':
    case 'validUntil':
      return 'grants.errors.date';
    case 'reason':
      return code === 'too_big' ? 'grants.errors.reasonLong' : 'grants.errors.reasonShort';
    case 'username':
      return 'grants.errors.username';
  }
}

/**
 * The form as a `POST /api/grants` body, checked by the contract's own schema; errors are i18n
 * keys per field. The username travels only when the requester may ask for others.
 */
export function validateGrantForm(
  form: GrantForm,
  mayRequestForOthers: boolean,
): { ok: true; body: GrantRequestBody } | { ok: false; errors: GrantFormErrors } {
  const username = form.username.trim();
  const candidate = {
    tenantId: form.tenantId,
    role: form.role,
    validFrom: localInputToIso(form.validFrom),
    validUntil: localInputToIso(form.validUntil),
    reason: form.reason,
    ...(mayRequestForOthers && username !== '' ? { username } : {}),
  };
  const parsed = GrantRequestBody.safeParse(candidate);
  if (parsed.success) return { ok: true, body: parsed.data };
  const errors: GrantFormErrors = {};
  for (const issue of parsed.error.issues) {
    const head = issue.path[0];
    if (typeof head === 'string' && FORM_FIELDS.has(head)) {
      const field = head as GrantFormField;
      errors[field] ??= issueKey(field, issue.code);
    } else if (issue.path.length === 0 && issue.code === 'custom') {
      // The schema's refine: the window ends before it starts (meaningless if a date is missing).
      if (candidate.validFrom !== '' && candidate.validUntil !== '')
        errors.validUntil ??= 'grants.errors.order';
    }
  }
  return { ok: false, errors };
}

/** Reject and revoke ask for a reason someone can later read in the audit log. */
export function validateDecisionReason(
  reason: string,
): { ok: true; body: GrantDecisionBody } | { ok: false; error: string } {
  const trimmed = reason.trim();
  if (trimmed.length < 3) return { ok: false, error: 'grants.errors.reasonShort' };
  const parsed = GrantDecisionBody.safeParse({ reason: trimmed });
  return parsed.success ? { ok: true, body: parsed.data } : { ok: false, error: 'grants.errors.reasonLong' };
}

/** Decisions a grant offers the caller, straight from the server's `canDecide`/`canRevoke`. */
export function grantActions(g: Pick<Grant, 'canDecide' | 'canRevoke' | 'status'>): {
  approve: boolean;
  reject: boolean;
  revoke: boolean;
} {
  const decide = g.canDecide && g.status === 'pending';
  return { approve: decide, reject: decide, revoke: g.canRevoke };
}

/** A failed call as the screen words it: offline, refused, or the server's own message. */
export type RemoteError =
  { kind: 'offline' } | { kind: 'server'; status: number; code: string; message: string };

export function remoteError(e: unknown): RemoteError {
  if (e instanceof NetworkError) return { kind: 'offline' };
  if (e instanceof ApiError) return { kind: 'server', status: e.status, code: e.code, message: e.message };
  return { kind: 'server', status: 0, code: 'unknown', message: e instanceof Error ? e.message : String(e) };
}

/** All roles a grant can ask for, in the policy's order. */
export const GRANT_ROLES: readonly Role[] = Role.options;

/** A failed call in the UI language; 409 and 403 say what the server refused. */
export function remoteErrorText(err: RemoteError, t: Translate, wrapKey: string): string {
  if (err.kind === 'offline') return t('grants.errors.offline');
  if (err.status === 409 && err.code === 'already_member')
    return t('grants.errors.alreadyMember', { message: err.message });
  if (err.status === 403) return t('grants.errors.forbidden', { message: err.message });
  return t(wrapKey, { message: err.message });
}

/** A grant's window in local time, e.g. "26/11/2026, 09:30 – 17:30". */
export function formatWindow(validFrom: string, validUntil: string, locale: string): string {
  const from = new Date(validFrom);
  const until = new Date(validUntil);
  if (Number.isNaN(from.getTime()) || Number.isNaN(until.getTime())) return `${validFrom} – ${validUntil}`;
  const f = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' });
  return until >= from ? f.formatRange(from, until) : `${f.format(from)} – ${f.format(until)}`;
}
