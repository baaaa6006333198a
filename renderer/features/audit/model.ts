import { MASKED } from '../../../shared/access/policy.js';
import type { AuditEntry } from '../../../shared/api/audit.js';
import { canonicalJson } from '../../../shared/audit/canonical.js';
import { verifyChain, type ChainedEntry, type ChainVerdict } from '../../../shared/audit/chain.js';
import { ApiError, NetworkError } from '../../data/api.js';
import { localInputToIso } from '../../components/local-time.js';

/** Local-time inputs (shared with other forms). */
export { localInputToIso };

/** A translate function (react-i18next's `t` fits); the model builds keys, never sentences. */
export type Translate = (key: string, options?: Record<string, unknown>) => string;

// ---------------------------------------------------------------------------------------------
// Filters → query string

/** The filter form as the inputs hold it (strings; times are `datetime-local` values). */
export type AuditFilter = { actor: string; entity: string; action: string; from: string; to: string };

export const EMPTY_FILTER: AuditFilter = { actor: '', entity: '', action: '', from: '', to: '' };

/** Entities the server writes audit entries for (the select offers these). */
export const AUDIT_ENTITIES = [
  'items',
  'movements',
  'orders',
  'receipts',
  'policy',
  'membership',
  'grant',
  'report',
] as const;

/** Actions the server writes (the select offers these; unknown actions still display raw). */
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'rollback',
  'discard',
  'export',
  'policy:edit',
  'membership:role',
  'membership:remove',
  'grant:request',
  'grant:approve',
  'grant:reject',
  'grant:revoke',
] as const;

/** i18n key of an action or entity id (`grant:approve` → `grant-approve`: keys cannot hold ':'). */
export const labelKey = (prefix: string, id: string): string =>
  `${prefix}.${id.replace(/[^A-Za-z0-9]/g, '-')}`;

/** Problems of a filter, as i18n keys per field (the query is not sent while there are any). */
export function filterErrors(f: AuditFilter): Partial<Record<keyof AuditFilter, string>> {
  const errors: Partial<Record<keyof AuditFilter, string>> = {};
  const from = f.from.trim() === '' ? null : localInputToIso(f.from);
  const to = f.to.trim() === '' ? null : localInputToIso(f.to);
  if (from === '') errors.from = 'audit.errors.date';
  if (to === '') errors.to = 'audit.errors.date';
  if (from && to && Date.parse(to) < Date.parse(from)) errors.to = 'audit.errors.order';
  if (f.actor.trim().length > 64) errors.actor = 'audit.errors.actor';
  return errors;
}

/**
 * The last instant of the minute (or second) a `datetime-local` value names, as ISO with the PC's
 * offset: "to 17:00" includes what happened at 17:00:30 (the server compares `at <= to`).
 */
export function localInputEndIso(value: string): string {
  const iso = localInputToIso(value);
  if (iso === '') return '';
  const withSeconds = /T\d{2}:\d{2}:\d{2}$/.test(value.trim());
  // iso is `YYYY-MM-DDTHH:MM:SS±HH:MM`: replace the seconds, keep the offset.
  return `${iso.slice(0, 17)}${withSeconds ? iso.slice(17, 19) : '59'}.999${iso.slice(19)}`;
}

/**
 * The filter (plus paging) as the query string of `GET /api/t/:tenant/audit`. Empty fields are
 * left out; times travel as ISO with the PC's offset, `to` through the end of the minute it names.
 */
export function auditQueryString(f: AuditFilter, page: { limit: number; before?: number | null }): string {
  const q = new URLSearchParams();
  q.set('limit', String(page.limit));
  if (page.before !== undefined && page.before !== null) q.set('before', String(page.before));
  const actor = f.actor.trim();
  if (actor !== '') q.set('actor', actor);
  if (f.entity !== '') q.set('entity', f.entity);
  if (f.action !== '') q.set('action', f.action);
  const from = f.from.trim() === '' ? '' : localInputToIso(f.from);
  const to = f.to.trim() === '' ? '' : localInputEndIso(f.to);
  if (from !== '') q.set('from', from);
  if (to !== '') q.set('to', to);
  return q.toString();
}

/** Path of one page of the tenant's audit log. */
export function auditPath(
  tenant: string,
  f: AuditFilter,
  page: { limit: number; before?: number | null },
): string {
  return `/api/t/${encodeURIComponent(tenant)}/audit?${auditQueryString(f, page)}`;
}

/** Path of the tenant's chain verification. */
export const verifyPath = (tenant: string): string => `/api/t/${encodeURIComponent(tenant)}/audit/verify`;

/** Append an older page to what is shown, dropping entries already held (a retried page). */
export function appendPage(shown: readonly AuditEntry[], older: readonly AuditEntry[]): AuditEntry[] {
  const seen = new Set(shown.map((e) => e.id));
  return [...shown, ...older.filter((e) => !seen.has(e.id))];
}

// ---------------------------------------------------------------------------------------------
// Field diff

/** How a field differs between two versions. `masked`: the reader sees only the mask on both. */
export type DiffKind = 'added' | 'removed' | 'changed' | 'same' | 'masked';

/** One field of a diff. `before`/`after` are undefined where that side does not have the field. */
export type DiffRow = { field: string; kind: DiffKind; before?: unknown; after?: unknown };

/** Fields of the local database's own bookkeeping: never part of what a person changed. */
const INTERNAL = new Set(['_rev', '_meta', '_attachments', 'pendingAudit']);

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return JSON.stringify(a) === JSON.stringify(b);
  }
}

const has = (o: Record<string, unknown> | null | undefined, k: string): o is Record<string, unknown> =>
  o !== null && o !== undefined && Object.hasOwn(o, k) && o[k] !== undefined;

/**
 * Field-by-field difference of two snapshots (either may be null: created / deleted). Only keys
 * present on at least one side appear, so a field the server left out for this reader leaves no
 * trace. A field that is the mask on both sides is `masked`: whether it changed is not knowable.
 * Rows are in field order of `after`, then fields only in `before`.
 */
export function diffFields(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): DiffRow[] {
  const keys: string[] = [];
  for (const k of [...Object.keys(after ?? {}), ...Object.keys(before ?? {})]) {
    if (!INTERNAL.has(k) && !keys.includes(k)) keys.push(k);
  }
  const rows: DiffRow[] = [];
  for (const field of keys) {
    const inBefore = has(before, field);
    const inAfter = has(after, field);
    if (!inBefore && !inAfter) continue;
    const b = inBefore ? before[field] : undefined;
    const a = inAfter ? after[field] : undefined;
    if (!inBefore) rows.push({ field, kind: 'added', after: a });
    else if (!inAfter) rows.push({ field, kind: 'removed', before: b });
    else if (b === MASKED && a === MASKED) rows.push({ field, kind: 'masked', before: b, after: a });
    else rows.push({ field, kind: sameValue(b, a) ? 'same' : 'changed', before: b, after: a });
  }
  return rows;
}

/** The rows a diff view shows: by default only what changed (added, removed, changed). */
export function visibleDiff(rows: readonly DiffRow[], showAll: boolean): DiffRow[] {
  return showAll
    ? [...rows]
    : rows.filter((r) => r.kind === 'added' || r.kind === 'removed' || r.kind === 'changed');
}

/** A field value as text; null for "no value" (the view words that in its language). */
export function formatValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    // Cyclic or otherwise unserialisable: JSON snapshots never are, so this is only a guard.
    return '…';
  }
}

// ---------------------------------------------------------------------------------------------
// Time

/** The device time worth showing next to the server time: only when they differ by more than a minute. */
export function offlineRecordedAt(entry: Pick<AuditEntry, 'at' | 'deviceTime'>): string | null {
  if (!entry.deviceTime) return null;
  const server = Date.parse(entry.at);
  const device = Date.parse(entry.deviceTime);
  if (Number.isNaN(server) || Number.isNaN(device)) return null;
  return Math.abs(server - device) > 60_000 ? entry.deviceTime : null;
}

/** An instant in the UI language, with seconds ("26 Nov 2026, 09:30:12"). */
export function formatAbsolute(iso: string, locale: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

/** How long ago (or ahead) an instant is, in the UI language ("5 minutes ago", "yesterday"). */
export function formatRelative(iso: string, now: Date, locale: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const seconds = Math.round((t - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (abs < 45) return rtf.format(0, 'second');
  if (abs < 45 * 60) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(seconds / 3600), 'hour');
  if (abs < 26 * 86400) return rtf.format(Math.round(seconds / 86400), 'day');
  if (abs < 320 * 86400) return rtf.format(Math.round(seconds / (30 * 86400)), 'month');
  return rtf.format(Math.round(seconds / (365 * 86400)), 'year');
}

/** A time window in the UI language ("26 Nov 2026, 09:30 – 09:35"). */
export function formatRange(fromIso: string, toIso: string, locale: string): string {
  const from = new Date(fromIso);
  const to = new Date(toIso);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return `${fromIso} – ${toIso}`;
  const f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  return to >= from ? f.formatRange(from, to) : `${f.format(from)} – ${f.format(to)}`;
}

// ---------------------------------------------------------------------------------------------
// Chain verification

/** Answer of `GET /api/t/:tenant/audit/verify` (the shared verdict type). */
export type VerifyAnswer = ChainVerdict;

/** The first characters of a hash, enough to compare by eye. */
export const shortHash = (h: string, n = 12): string => (h.length > n ? `${h.slice(0, n)}…` : h);

/** The server's verdict in the UI language. */
export function verdictText(v: VerifyAnswer, t: Translate): string {
  return v.ok
    ? t('audit.verify.intact', { count: v.length, head: shortHash(v.head) })
    : t('audit.verify.broken', { seq: v.brokenAt, reason: v.reason });
}

/** Result of checking the loaded entries against each other in this window. */
export type LocalCheck =
  | { kind: 'unavailable' }
  | { kind: 'ok'; count: number; first: number; last: number }
  | { kind: 'broken'; seq: number; reason: string };

/** The entry as the chain committed to it, when the server sent every chain field. */
export function toChained(e: AuditEntry): ChainedEntry | null {
  if (typeof e.prevHash !== 'string' || typeof e.hash !== 'string') return null;
  if (e.beforeHash === undefined || e.afterHash === undefined) return null;
  const c: ChainedEntry = {
    tenantId: e.tenantId,
    seq: e.seq,
    id: e.id,
    at: e.at,
    actorId: e.actorId,
    deviceId: e.deviceId,
    // Absent and null hash differently (canonical JSON drops undefined): the chain stores null.
    deviceTime: e.deviceTime ?? null,
    action: e.action,
    entity: e.entity,
    entityId: e.entityId,
    beforeHash: e.beforeHash,
    afterHash: e.afterHash,
    reason: e.reason,
    confirmation: e.confirmation ?? null,
    prevHash: e.prevHash,
    hash: e.hash,
  };
  if (typeof e.compensates === 'string') c.compensates = e.compensates;
  return c;
}

/**
 * Check the loaded entries' links and hashes on this PC with `verifyChain`: only when they form
 * one contiguous run of sequence numbers (an unfiltered view) and carry their chain fields. The
 * hash before the run's first entry is not on screen, so the run is verified from that entry's
 * own `prevHash` on (the server's verdict covers the link into it). Snapshots are not checked:
 * the reader holds them projected, the chain commits to the full ones.
 */
export async function checkLoaded(entries: readonly AuditEntry[]): Promise<LocalCheck> {
  if (entries.length < 2) return { kind: 'unavailable' };
  const chained: ChainedEntry[] = [];
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
    const c = toChained(e);
    if (!c) return { kind: 'unavailable' };
    chained.push(c);
  }
  for (let i = 1; i < chained.length; i++) {
    if ((chained[i] as ChainedEntry).seq !== (chained[i - 1] as ChainedEntry).seq + 1)
      return { kind: 'unavailable' };
  }
  const first = chained[0] as ChainedEntry;
  const last = chained[chained.length - 1] as ChainedEntry;
  const v = await verifyChain(
    chained,
    undefined,
    first.seq === 1 ? undefined : { prevHash: first.prevHash, seq: first.seq - 1 },
  );
  return v.ok
    ? { kind: 'ok', count: chained.length, first: first.seq, last: last.seq }
    : { kind: 'broken', seq: v.brokenAt, reason: v.reason };
}

// ---------------------------------------------------------------------------------------------
// Rollback

/**
 * Whether an entry offers "Roll back" — the cases the data layer's compensation handles: a
 * movement's creation (reversed by a new movement) and an item change that has a "before" to
 * restore (update, delete, an earlier rollback). Item creations and other entities do not.
 */
export function isRollbackable(e: Pick<AuditEntry, 'entity' | 'action' | 'before' | 'after'>): boolean {
  if (e.entity === 'movements') return e.action === 'create' && e.after !== null;
  if (e.entity === 'items') return e.before !== null && ['update', 'delete', 'rollback'].includes(e.action);
  return false;
}

/** The shown entries of one user that can be rolled back, newest first (undo in reverse order). */
export function rollbackSetFor(entries: readonly AuditEntry[], actor: string): AuditEntry[] {
  const who = actor.trim();
  if (who === '') return [];
  return entries.filter((e) => e.actorId === who && isRollbackable(e)).sort((a, b) => b.seq - a.seq);
}

// ---------------------------------------------------------------------------------------------
// Errors

/** A failed call as the screen words it. */
export type LoadError = { kind: 'offline' } | { kind: 'server'; status: number; message: string };

/**
 * Offline when the network is down, and also when the session was opened offline and the server
 * refuses it for want of a token (the log lives on the server; it needs a connection).
 */
export function loadError(e: unknown, signedInOffline: boolean): LoadError {
  if (e instanceof NetworkError) return { kind: 'offline' };
  if (e instanceof ApiError) {
    if (e.status === 401 && signedInOffline) return { kind: 'offline' };
    return { kind: 'server', status: e.status, message: e.message };
  }
  return { kind: 'server', status: 0, message: e instanceof Error ? e.message : String(e) };
}

/** A failed call in the UI language; `ns` is the feature whose `errors.offline`/`errors.forbidden` apply. */
export function loadErrorText(err: LoadError, t: Translate, ns: string, wrapKey: string): string {
  if (err.kind === 'offline') return t(`${ns}.errors.offline`);
  if (err.status === 403) return t(`${ns}.errors.forbidden`, { message: err.message });
  return t(wrapKey, { message: err.message });
}
