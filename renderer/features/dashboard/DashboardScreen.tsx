import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ReportResult } from '../../../shared/api/reports.js';
import { apiClient, useActiveTenant } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { reportError, reportPath, reportTenantOptions, type ReportError } from '../reports/model.js';
import { BarChart } from './BarChart.js';
import { dashboardTenants, expiryBuckets, perDay, sumBy } from './model.js';

type Load =
  { status: 'loading' } | { status: 'ready'; result: ReportResult } | { status: 'error'; error: ReportError };

const DAYS = 14;

/** Loads one report (path null: nothing to load); `retry` runs it again. */
function useReport(path: string | null): [Load, () => void] {
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoad({ status: 'loading' });
    void (async () => {
      try {
        const result = await (await apiClient()).getJson<ReportResult>(path);
        if (live) setLoad({ status: 'ready', result });
      } catch (e) {
        if (live) setLoad({ status: 'error', error: reportError(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [path, round]);
  return [load, () => setRound((r) => r + 1)];
}

/** A dashboard tile: its title, and the loading, error, empty or ready body. */
function Panel({
  title,
  load,
  retry,
  isEmpty,
  children,
  testId,
}: {
  title: string;
  load: Load;
  retry: () => void;
  isEmpty: (r: ReportResult) => boolean;
  children: (r: ReportResult) => ReactNode;
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <section
      className="card dashboard-panel"
      aria-label={title}
      data-testid={testId}
      data-state={load.status}
    >
      {load.status === 'loading' ? (
        <>
          <h3>{title}</h3>
          <p className="state" role="status">
            {t('dashboard.loading')}
          </p>
        </>
      ) : load.status === 'error' ? (
        <>
          <h3>{title}</h3>
          <p role="alert" className="error state">
            {load.error.kind === 'offline'
              ? t('dashboard.offline')
              : t('dashboard.failed', { message: load.error.message })}{' '}
            <button type="button" onClick={retry}>
              {t('dashboard.retry')}
            </button>
          </p>
        </>
      ) : isEmpty(load.result) ? (
        <>
          <h3>{title}</h3>
          <p className="state">{t('dashboard.empty')}</p>
        </>
      ) : (
        <>
          {children(load.result)}
          {load.result.truncated && (
            <p className="hint" role="note" data-testid="dashboard-truncated">
              {t('dashboard.truncated', { count: load.result.rows.length })}
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** Figures at a glance: stock by client and location, movements per day, stock expiring soon. */
export function DashboardScreen() {
  const { t, i18n } = useTranslation();
  const activeTenant = useActiveTenant();
  const principal = usePrincipal();
  const options = principal ? reportTenantOptions(principal, activeTenant) : [];
  const tenants = dashboardTenants(options, activeTenant);
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - (DAYS - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);

  const [stock, retryStock] = useReport(reportPath('stock-by-location', tenants));
  const [daily, retryDaily] = useReport(reportPath('movements-daily', tenants, { from, to: today }));
  const [expiring, retryExpiring] = useReport(reportPath('inventory-by-expiry', tenants, { days: 30 }));

  const fmt = (n: number) => new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 }).format(n);
  const common = { format: fmt, tableLabel: t('dashboard.table') };

  if (tenants.length === 0) {
    return (
      <section className="card dashboard" aria-labelledby="dashboard-title">
        <h2 id="dashboard-title">{t('dashboard.title')}</h2>
        <p className="state">{t('dashboard.noTenants')}</p>
      </section>
    );
  }

  return (
    <section className="dashboard" aria-labelledby="dashboard-title">
      <h2 id="dashboard-title">{t('dashboard.heading', { tenants: tenants.join(', ') })}</h2>
      <div
        className="dashboard-grid"
        style={{ display: 'grid', gap: 12, gridTemplateColumns: 'repeat(auto-fit, minmax(420px, 1fr))' }}
      >
        {tenants.length > 1 && (
          <Panel
            title={t('dashboard.byTenant.title')}
            load={stock}
            retry={retryStock}
            testId="chart-by-tenant"
            isEmpty={(r) => r.rows.length === 0 || !r.tenantColumn}
          >
            {(r) => (
              <BarChart
                {...common}
                title={t('dashboard.byTenant.title')}
                desc={t('dashboard.byTenant.desc')}
                bars={sumBy(r, 'tenantId', 'onHand')}
                labelHeader={t('dashboard.client')}
                valueHeader={t('dashboard.quantity')}
              />
            )}
          </Panel>
        )}
        <Panel
          title={t('dashboard.byLocation.title')}
          load={stock}
          retry={retryStock}
          testId="chart-by-location"
          isEmpty={(r) => r.rows.length === 0}
        >
          {(r) => (
            <BarChart
              {...common}
              title={t('dashboard.byLocation.title')}
              desc={t('dashboard.byLocation.desc')}
              bars={sumBy(r, 'location', 'onHand', 10)}
              labelHeader={t('dashboard.location')}
              valueHeader={t('dashboard.quantity')}
            />
          )}
        </Panel>
        <Panel
          title={t('dashboard.perDay.title')}
          load={daily}
          retry={retryDaily}
          testId="chart-per-day"
          isEmpty={() => false}
        >
          {(r) => (
            <BarChart
              {...common}
              orientation="vertical"
              title={t('dashboard.perDay.title')}
              desc={t('dashboard.perDay.desc')}
              bars={perDay(r, today, DAYS)}
              labelHeader={t('dashboard.day')}
              valueHeader={t('dashboard.movements')}
            />
          )}
        </Panel>
        <Panel
          title={t('dashboard.expiring.title')}
          load={expiring}
          retry={retryExpiring}
          testId="chart-expiring"
          isEmpty={() => false}
        >
          {(r) =>
            r.rows.length === 0 ? (
              <>
                <h3>{t('dashboard.expiring.title')}</h3>
                <p className="state">{t('dashboard.expiring.none')}</p>
              </>
            ) : (
              <>
                <BarChart
                  {...common}
                  title={t('dashboard.expiring.title')}
                  desc={t('dashboard.expiring.desc')}
                  bars={expiryBuckets(r, (b) => t(`dashboard.buckets.${b}`))}
                  labelHeader={t('dashboard.window')}
                  valueHeader={t('dashboard.quantity')}
                />
                <h4>{t('dashboard.expiring.soonest')}</h4>
                <ul className="expiring-list">
                  {r.rows.slice(0, 5).map((row, i) => (
                    <li key={i}>
                      {tenants.length > 1 && typeof row.tenantId === 'string' ? `${row.tenantId} · ` : ''}
                      {String(row.sku ?? '')} {row.batch ? `· ${String(row.batch)} ` : ''}·{' '}
                      {fmt(Number(row.onHand ?? 0))} ·{' '}
                      {typeof row.daysLeft === 'number' && row.daysLeft < 0
                        ? t('dashboard.expiring.expiredAgo')
                        : t('dashboard.expiring.daysLeft', { count: Number(row.daysLeft ?? 0) })}
                    </li>
                  ))}
                </ul>
              </>
            )
          }
        </Panel>
      </div>
    </section>
  );
}
