import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ReportResult } from '../../../shared/api/reports.js';
import { apiClient, useActiveTenant } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import {
  defaultSelection,
  displayColumns,
  exportAvailability,
  exportFileName,
  exportPath,
  filterReportRows,
  formatCell,
  reportError,
  reportPath,
  reportTenantOptions,
  toggleTenant,
  type ReportError,
} from './model.js';

type Load =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; result: ReportResult }
  | { status: 'error'; error: ReportError };
type Feedback = { kind: 'ok' | 'error'; text: string } | null;

function errorText(
  e: ReportError,
  t: (k: string, o?: Record<string, unknown>) => string,
  wrapKey: string,
): string {
  if (e.kind === 'offline') return t('reports.errors.offline');
  if (e.kind === 'forbidden') return t('reports.errors.forbidden', { message: e.message });
  return t(wrapKey, { message: e.message });
}

/** Inventory report over one or several tenants, with a per-tenant CSV export. */
export function ReportsScreen() {
  const { t, i18n } = useTranslation();
  const activeTenant = useActiveTenant();
  const principal = usePrincipal();
  const options = principal ? reportTenantOptions(principal, activeTenant) : [];

  // null until the user picks: then the default follows the active tenant.
  const [picked, setPicked] = useState<string[] | null>(null);
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const [load, setLoad] = useState<Load>({ status: 'idle' });
  const [round, setRound] = useState(0);
  const [exportFeedback, setExportFeedback] = useState<Feedback>(null);
  const [exporting, setExporting] = useState(false);

  // Tenants no longer offered (membership lapsed) drop out; if nothing is left, the default applies.
  const valid = picked?.filter((s) => options.some((o) => o.tenantId === s)) ?? null;
  const effective =
    valid === null || (valid.length === 0 && (picked?.length ?? 0) > 0)
      ? defaultSelection(options, activeTenant)
      : valid;
  const path = reportPath('inventory', effective);

  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoad({ status: 'loading' });
    void (async () => {
      try {
        const api = await apiClient();
        const result = await api.getJson<ReportResult>(path);
        if (live) setLoad({ status: 'ready', result });
      } catch (e) {
        if (live) setLoad({ status: 'error', error: reportError(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [path, round]);

  const columns = useMemo(() => (load.status === 'ready' ? displayColumns(load.result) : []), [load]);
  const rows = useMemo(
    () => (load.status === 'ready' ? filterReportRows(load.result.rows, columns, deferred) : []),
    [load, columns, deferred],
  );

  const exportState = exportAvailability(principal, activeTenant);
  const runExport = async () => {
    if (!exportState.enabled || activeTenant === null) return;
    setExporting(true);
    setExportFeedback(null);
    try {
      const api = await apiClient();
      const { blob, filename } = await api.download(exportPath('inventory', activeTenant));
      const name = exportFileName('inventory', activeTenant, filename, new Date());
      // An object URL and <a download> save the file in Chromium and Electron alike.
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.style.display = 'none';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setExportFeedback({ kind: 'ok', text: t('reports.export.done', { file: name }) });
    } catch (e) {
      setExportFeedback({ kind: 'error', text: errorText(reportError(e), t, 'reports.export.failed') });
    } finally {
      setExporting(false);
    }
  };

  const total = load.status === 'ready' ? load.result.rows.length : 0;
  const columnLabel = (key: string, label: string) => t(`reports.columns.${key}`, { defaultValue: label });

  return (
    <section className="card access-screen reports" aria-labelledby="reports-title">
      <div className="section-head">
        <h2 id="reports-title">{t('reports.inventory')}</h2>
        <input
          type="search"
          className="search"
          aria-label={t('reports.search')}
          placeholder={t('reports.search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        {load.status === 'ready' && (
          <span className="count" data-testid="report-count">
            {rows.length === total
              ? t('reports.rowCount', { count: total })
              : t('reports.rowCountFiltered', { count: total, shown: rows.length })}
          </span>
        )}
        <button
          type="button"
          className="export"
          disabled={!exportState.enabled || exporting}
          title={exportState.enabled ? t('reports.export.perTenant') : t(exportState.reason)}
          onClick={() => void runExport()}
        >
          {exporting
            ? t('reports.export.working')
            : activeTenant
              ? t('reports.export.button', { tenant: activeTenant })
              : t('reports.export.buttonNoTenant')}
        </button>
      </div>
      {exportFeedback && (
        <p
          role={exportFeedback.kind === 'ok' ? 'status' : 'alert'}
          className={exportFeedback.kind === 'ok' ? 'ok' : 'error'}
        >
          {exportFeedback.text}
        </p>
      )}
      {options.length === 0 ? (
        <p className="state">{t('reports.noTenants')}</p>
      ) : (
        <fieldset className="tenant-picker">
          <legend>{t('reports.tenants')}</legend>
          {options.map((o) => (
            <label key={o.tenantId} className="checkbox">
              <input
                type="checkbox"
                data-tenant={o.tenantId}
                checked={effective.includes(o.tenantId)}
                onChange={() => setPicked(toggleTenant(options, effective, o.tenantId))}
              />
              {o.tenantId}
              {!o.crossTenant && <span className="hint"> ({t('reports.onlyAlone')})</span>}
            </label>
          ))}
          <span className="hint">{t('reports.tenantsHint')}</span>
        </fieldset>
      )}
      {options.length > 0 && effective.length === 0 ? (
        <p className="state">{t('reports.noneSelected')}</p>
      ) : load.status === 'loading' || load.status === 'idle' ? (
        options.length > 0 && <p className="state">{t('reports.loading')}</p>
      ) : load.status === 'error' ? (
        <p role="alert" className="error state">
          {errorText(load.error, t, 'reports.errors.failed')}{' '}
          <button type="button" onClick={() => setRound((r) => r + 1)}>
            {t('reports.retry')}
          </button>
        </p>
      ) : load.result.rows.length === 0 ? (
        <p className="state">{t('reports.empty')}</p>
      ) : rows.length === 0 ? (
        <p className="state">{t('reports.noMatch', { query: deferred })}</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table report-table" data-testid="report-table">
            <caption className="sr-only">{t('reports.inventory')}</caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th
                    key={c.key}
                    scope="col"
                    data-column={c.key}
                    className={c.type === 'number' ? 'num' : undefined}
                  >
                    {columnLabel(c.key, c.label)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c.key} data-column={c.key} className={c.type === 'number' ? 'num' : undefined}>
                      {formatCell(r[c.key], c, i18n.language)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
