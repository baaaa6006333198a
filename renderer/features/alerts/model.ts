import { AlertRule } from '../../../shared/alerts/rules.js';
import type { Alert } from '../../../shared/api/alerts.js';
import type { Translate } from '../audit/model.js';

export type { Alert, AlertList } from '../../../shared/api/alerts.js';

/** Anomaly rules the server (and the offline client) raise alerts for. */
export const ALERT_RULES: readonly string[] = AlertRule.options;

/** Path of the tenant's alerts: open ones only, or all (acknowledged too). */
export function alertsPath(tenant: string, includeAcknowledged: boolean): string {
  const base = `/api/t/${encodeURIComponent(tenant)}/alerts`;
  return includeAcknowledged ? base : `${base}?open=1`;
}

/** Path that acknowledges one alert. */
export const ackPath = (tenant: string, id: string): string =>
  `/api/t/${encodeURIComponent(tenant)}/alerts/${encodeURIComponent(id)}/ack`;

export const isOpen = (a: Pick<Alert, 'acknowledgedAt'>): boolean => a.acknowledgedAt === null;

/** Open alerts first, then newest first. */
export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => {
    const oa = isOpen(a) ? 0 : 1;
    const ob = isOpen(b) ? 0 : 1;
    if (oa !== ob) return oa - ob;
    return Date.parse(b.raisedAt) - Date.parse(a.raisedAt);
  });
}

/**
 * The list after the server acknowledged an alert: the updated alert replaces the old one, or
 * leaves the list when only open alerts are shown.
 */
export function applyAck(alerts: readonly Alert[], updated: Alert, includeAcknowledged: boolean): Alert[] {
  if (!includeAcknowledged && !isOpen(updated)) return alerts.filter((a) => a.id !== updated.id);
  return alerts.map((a) => (a.id === updated.id ? updated : a));
}

const known = (rule: string): boolean => ALERT_RULES.includes(rule);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The rule's name in the UI language (an unknown rule shows its id). */
export function ruleTitle(rule: string, t: Translate): string {
  return known(rule) ? t(`alerts.rules.${rule}.title`) : rule;
}

/**
 * What happened, in a sentence with the alert's count and the rule's own detail (the limit that
 * was crossed, the local date of off-hours work).
 */
export function ruleSentence(a: Pick<Alert, 'rule' | 'count' | 'userId' | 'detail'>, t: Translate): string {
  const d = a.detail as Record<string, unknown> | null | undefined;
  const params = {
    count: a.count,
    user: a.userId,
    limit: num(d?.['limit']) ?? '?',
    minutes: num(d?.['minutes']) ?? '?',
    date: str(d?.['localDate']) ?? '?',
    timeZone: str(d?.['timeZone']) ?? '?',
  };
  const rule: string = a.rule;
  return known(rule)
    ? t(`alerts.rules.${rule}.sentence`, params)
    : t('alerts.rules.unknown', { rule, count: a.count, user: a.userId });
}

/** Where the alert came from, in the UI language. */
export const sourceText = (a: Pick<Alert, 'source'>, t: Translate): string =>
  t(a.source === 'client' ? 'alerts.source.client' : 'alerts.source.server');
