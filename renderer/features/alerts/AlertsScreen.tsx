import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { can } from '../../../shared/access/policy.js';
import { apiClient, useActiveTenant, useWorkspace } from '../../data/workspace.js';
import { usePrincipal, useSession } from '../../state/session.js';
import { formatAbsolute, formatRange, loadError, loadErrorText, type LoadError } from '../audit/model.js';
import {
  ackPath,
  alertsPath,
  applyAck,
  isOpen,
  ruleSentence,
  ruleTitle,
  sortAlerts,
  sourceText,
  type Alert,
  type AlertList,
} from './model.js';

type Load =
  { status: 'loading' } | { status: 'ready'; alerts: Alert[] } | { status: 'error'; error: LoadError };
type Feedback = { kind: 'ok' | 'error'; text: string } | null;

/** Anomaly alerts of the open tenant, for managers and admins: list, acknowledge, refresh. */
export function AlertsScreen() {
  const { t, i18n } = useTranslation();
  const signedInOffline = useSession((s) => s.offline);
  const opening = useWorkspace((s) => s.opening);
  const tenant = useActiveTenant();
  const principal = usePrincipal();
  const allowed = principal !== null && tenant !== null && can(principal, tenant, 'alerts:read');
  const toggleId = useId();

  const [includeAcknowledged, setIncludeAcknowledged] = useState(false);
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);

  useEffect(() => {
    if (tenant === null || !allowed) return;
    let live = true;
    setLoad((l) => (l.status === 'ready' ? l : { status: 'loading' }));
    void (async () => {
      try {
        const api = await apiClient();
        const list = await api.getJson<AlertList>(alertsPath(tenant, includeAcknowledged));
        if (live) setLoad({ status: 'ready', alerts: list.alerts });
      } catch (e) {
        if (live) setLoad({ status: 'error', error: loadError(e, signedInOffline) });
      }
    })();
    return () => {
      live = false;
    };
  }, [tenant, allowed, includeAcknowledged, round, signedInOffline]);

  const acknowledge = async (alert: Alert) => {
    if (tenant === null) return;
    setBusyId(alert.id);
    setFeedback(null);
    try {
      const api = await apiClient();
      const updated = await api.sendJson<Alert>('POST', ackPath(tenant, alert.id));
      setLoad((l) =>
        l.status === 'ready'
          ? { status: 'ready', alerts: applyAck(l.alerts, updated, includeAcknowledged) }
          : l,
      );
      setFeedback({ kind: 'ok', text: t('alerts.ack.done') });
    } catch (e) {
      setFeedback({
        kind: 'error',
        text: loadErrorText(loadError(e, signedInOffline), t, 'alerts', 'alerts.ack.failed'),
      });
    } finally {
      setBusyId(null);
    }
  };

  if (tenant === null || !allowed) {
    return (
      <section className="card access-screen alerts" aria-labelledby="alerts-title">
        <h2 id="alerts-title">{t('alerts.title')}</h2>
        <p className="state" role="status">
          {opening
            ? t('alerts.loading')
            : tenant === null
              ? t('alerts.errors.noTenant')
              : t('alerts.errors.notAllowed')}
        </p>
      </section>
    );
  }

  const alerts = load.status === 'ready' ? sortAlerts(load.alerts) : [];
  return (
    <section className="card access-screen alerts" aria-labelledby="alerts-title">
      <div className="section-head">
        <h2 id="alerts-title">{t('alerts.title')}</h2>
        {load.status === 'ready' && (
          <span className="count" data-testid="alerts-count">
            {t('alerts.count', { count: alerts.length })}
          </span>
        )}
        <label className="checkbox" htmlFor={toggleId}>
          <input
            id={toggleId}
            type="checkbox"
            checked={includeAcknowledged}
            onChange={(e) => setIncludeAcknowledged(e.target.checked)}
          />
          {t('alerts.includeAcknowledged')}
        </label>
        <button type="button" onClick={() => setRound((r) => r + 1)}>
          {t('alerts.refresh')}
        </button>
      </div>
      <p className="hint">{t('alerts.intro')}</p>
      {feedback && (
        <p
          role={feedback.kind === 'ok' ? 'status' : 'alert'}
          className={feedback.kind === 'ok' ? 'ok' : 'error'}
        >
          {feedback.text}
        </p>
      )}
      {load.status === 'loading' && (
        <p className="state" role="status">
          {t('alerts.loading')}
        </p>
      )}
      {load.status === 'error' && (
        <p className="error state" role="alert">
          {loadErrorText(load.error, t, 'alerts', 'alerts.failed')}
        </p>
      )}
      {load.status === 'ready' && alerts.length === 0 && (
        <p className="state" role="status">
          {includeAcknowledged ? t('alerts.emptyAll') : t('alerts.empty')}
        </p>
      )}
      {alerts.length > 0 && (
        <div className="table-scroll">
          <table className="data-table alerts-table">
            <caption className="sr-only">{t('alerts.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('alerts.columns.rule')}</th>
                <th scope="col">{t('alerts.columns.user')}</th>
                <th scope="col">{t('alerts.columns.window')}</th>
                <th scope="col" className="num">
                  {t('alerts.columns.count')}
                </th>
                <th scope="col">{t('alerts.columns.source')}</th>
                <th scope="col">{t('alerts.columns.status')}</th>
                <th scope="col">{t('alerts.columns.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr
                  key={a.id}
                  data-alert-id={a.id}
                  data-testid="alert"
                  data-rule={a.rule}
                  className={isOpen(a) ? 'alert-open' : 'alert-acked'}
                >
                  <td>
                    <strong>{ruleTitle(a.rule, t)}</strong>
                    <span className="hint alert-sentence">{ruleSentence(a, t)}</span>
                  </td>
                  <td>{a.userId}</td>
                  <td>
                    <time dateTime={a.windowStart}>
                      {formatRange(a.windowStart, a.windowEnd, i18n.language)}
                    </time>
                  </td>
                  <td className="num">{a.count}</td>
                  <td>
                    <span className={`badge source-${a.source}`}>{sourceText(a, t)}</span>
                  </td>
                  <td>
                    {isOpen(a)
                      ? t('alerts.status.open')
                      : t('alerts.status.acknowledged', {
                          user: a.acknowledgedBy ?? '',
                          time: a.acknowledgedAt ? formatAbsolute(a.acknowledgedAt, i18n.language) : '',
                        })}
                  </td>
                  <td className="actions">
                    {isOpen(a) && (
                      <button
                        type="button"
                        className="primary"
                        disabled={busyId !== null}
                        aria-label={t('alerts.ack.label', { user: a.userId, rule: ruleTitle(a.rule, t) })}
                        onClick={() => void acknowledge(a)}
                      >
                        {busyId === a.id ? t('alerts.ack.working') : t('alerts.ack.button')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
