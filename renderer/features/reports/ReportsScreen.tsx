import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ExportFormat, ReportFilters, ReportName, ReportResult } from '../../../shared/api/reports.js';
import { apiClient, useActiveTenant } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import {
  REPORT_MENU,
  availableReports,
  defaultSelection,
  displayColumns,
  exportAvailability,
  exportFileName,
  exportPath,
  filterReportRows,
  formatCell,
  progressPercent,
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
/** null: idle; received/total while downloading (total null: size unknown). */
type Progress = { received: number; total: number | null } | null;

/** The filter row: fields side by side, each label above its input. */
const FILTERS_STYLE = {
  display: 'flex',
  flexWrap: 'wrap',
  gap: 12,
  alignItems: 'flex-end',
  border: 'none',
  padding: 0,
  margin: '8px 0',
} as const;
const FILTER_STYLE = { display: 'flex', flexDirection: 'column', gap: 4, width: 200 } as const;

/**
 * Up to this many rows the table renders every row (small reports print and read as they are);
 * above it only the rows in view are in the page (a 5,000-row ledger scrolls and filters without
 * freezing the window).
 */
const RENDER_ALL_MAX = 300;
const ROW_HEIGHT = 33;
const MOVEMENT_TYPES = ['receipt', 'putaway', 'transfer', 'pick', 'ship', 'adjustment', 'count'] as const;

function errorText(
  e: ReportError,
  t: (k: string, o?: Record<string, unknown>) => string,
  wrapKey: string,
): string {
  if (e.kind === 'offline') return t('reports.errors.offline');
  if (e.kind === 'forbidden') return t('reports.errors.forbidden', { message: e.message });
  return t(wrapKey, { message: e.message });
}

/** Saves a blob as a file: an object URL and <a download> work in Chromium and Electron alike. */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Reports over one or several tenants, with filters and CSV/XLSX exports of exactly what is shown. */
export function ReportsScreen() {
  const { t, i18n } = useTranslation();
  const activeTenant = useActiveTenant();
  const principal = usePrincipal();
  const options = principal ? reportTenantOptions(principal, activeTenant) : [];

  // null until the user picks: then the default follows the active tenant.
  const [picked, setPicked] = useState<string[] | null>(null);
  const [report, setReport] = useState<ReportName>('inventory');
  const [filters, setFilters] = useState<ReportFilters>({});
  const [skuDraft, setSkuDraft] = useState('');
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const [load, setLoad] = useState<Load>({ status: 'idle' });
  const [round, setRound] = useState(0);
  const [exportFeedback, setExportFeedback] = useState<Feedback>(null);
  const [progress, setProgress] = useState<Progress>(null);
  const [exporting, setExporting] = useState(false);

  // Tenants no longer offered (membership lapsed) drop out; if nothing is left, the default applies.
  const valid = picked?.filter((s) => options.some((o) => o.tenantId === s)) ?? null;
  const effective =
    valid === null || (valid.length === 0 && (picked?.length ?? 0) > 0)
      ? defaultSelection(options, activeTenant)
      : valid;
  const offered = availableReports(principal, effective);
  const current: ReportName = offered.includes(report) ? report : 'inventory';
  const kinds = REPORT_MENU.find((r) => r.name === current)?.filters ?? [];
  const path = reportPath(current, effective, filters);

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

  const exportState = exportAvailability(principal, effective);
  const runExport = async (format: ExportFormat) => {
    if (!exportState.enabled || effective.length === 0) return;
    setExporting(true);
    setExportFeedback(null);
    setProgress({ received: 0, total: null });
    try {
      const api = await apiClient();
      const { blob, filename } = await api.download(
        exportPath(current, effective, format, filters),
        (received, total) => setProgress({ received, total }),
      );
      const name = exportFileName(current, effective.join('+'), filename, new Date(), format);
      saveBlob(blob, name);
      setExportFeedback({ kind: 'ok', text: t('reports.export.done', { file: name }) });
    } catch (e) {
      setExportFeedback({ kind: 'error', text: errorText(reportError(e), t, 'reports.export.failed') });
    } finally {
      setExporting(false);
      setProgress(null);
    }
  };

  const total = load.status === 'ready' ? load.result.rows.length : 0;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });
  const virtual = rows.length > RENDER_ALL_MAX;
  const inView = virtual
    ? virtualizer.getVirtualItems()
    : rows.map((_, index) => ({ index, start: 0, end: 0 }));
  const padTop = virtual ? (inView[0]?.start ?? 0) : 0;
  const padBottom = virtual ? virtualizer.getTotalSize() - (inView[inView.length - 1]?.end ?? 0) : 0;
  const columnLabel = (key: string, label: string) => t(`reports.columns.${key}`, { defaultValue: label });
  const cellText = (key: string, value: string | number | null | undefined, c: (typeof columns)[number]) =>
    key === 'type' && typeof value === 'string'
      ? t(`reports.types.${value}`, { defaultValue: value })
      : formatCell(value, c, i18n.language);
  const setFilter = (patch: Partial<ReportFilters>) => setFilters((f) => ({ ...f, ...patch }));
  const percent = progress ? progressPercent(progress.received, progress.total) : null;
  const groups = [...new Set(REPORT_MENU.map((r) => r.group))];

  return (
    <section className="card access-screen reports" aria-labelledby="reports-title">
      <div className="section-head">
        <h2 id="reports-title">{t(`reports.names.${current}`)}</h2>
        <label className="inline-field">
          {t('reports.report')}{' '}
          <select
            data-testid="report-select"
            value={current}
            onChange={(e) => setReport(e.target.value as ReportName)}
          >
            {groups.map((g) => (
              <optgroup key={g} label={t(`reports.groups.${g}`)}>
                {REPORT_MENU.filter((r) => r.group === g && offered.includes(r.name)).map((r) => (
                  <option key={r.name} value={r.name}>
                    {t(`reports.names.${r.name}`)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <input
          type="search"
          className="search"
          aria-label={t('reports.search')}
          placeholder={t('reports.search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        {load.status === 'ready' && (
          <span className="count" data-testid="report-count" data-filtered={rows.length !== total}>
            {rows.length === total
              ? t('reports.rowCount', { count: total })
              : t('reports.rowCountFiltered', { count: total, shown: rows.length })}
          </span>
        )}
        {(['csv', 'xlsx'] as const).map((format) => (
          <button
            key={format}
            type="button"
            className="export"
            data-format={format}
            disabled={!exportState.enabled || exporting}
            title={exportState.enabled ? t('reports.export.perTenant') : t(exportState.reason)}
            onClick={() => void runExport(format)}
          >
            {t(`reports.export.${format}`)}
          </button>
        ))}
      </div>
      {progress && (
        <p role="status" className="export-progress">
          {progress.received === 0
            ? t('reports.export.preparing')
            : percent !== null
              ? t('reports.export.progress', { percent })
              : t('reports.export.progressBytes', { kb: Math.round(progress.received / 1024) })}{' '}
          <progress
            aria-label={t('reports.export.working')}
            max={100}
            value={percent ?? undefined}
            data-testid="export-progress"
          />
        </p>
      )}
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
      {kinds.length > 0 && (
        <fieldset className="report-filters" style={FILTERS_STYLE}>
          <legend>{t('reports.filters.legend')}</legend>
          {kinds.includes('range') && (
            <>
              <label style={FILTER_STYLE}>
                {t('reports.filters.from')}{' '}
                <input
                  type="date"
                  value={filters.from ?? ''}
                  onChange={(e) => setFilter({ from: e.target.value || undefined })}
                />
              </label>
              <label style={FILTER_STYLE}>
                {t('reports.filters.to')}{' '}
                <input
                  type="date"
                  value={filters.to ?? ''}
                  onChange={(e) => setFilter({ to: e.target.value || undefined })}
                />
              </label>
            </>
          )}
          {kinds.includes('type') && (
            <label style={FILTER_STYLE}>
              {t('reports.filters.type')}{' '}
              <select
                value={filters.type ?? ''}
                onChange={(e) => setFilter({ type: (e.target.value || undefined) as ReportFilters['type'] })}
              >
                <option value="">{t('reports.filters.anyType')}</option>
                {MOVEMENT_TYPES.map((ty) => (
                  <option key={ty} value={ty}>
                    {t(`reports.types.${ty}`)}
                  </option>
                ))}
              </select>
            </label>
          )}
          {kinds.includes('days') && (
            <label style={FILTER_STYLE}>
              {t('reports.filters.days')}{' '}
              <input
                type="number"
                min={0}
                max={3650}
                value={filters.days ?? 30}
                onChange={(e) => {
                  const n = Number(e.target.value);
                  if (Number.isInteger(n) && n >= 0 && n <= 3650) setFilter({ days: n });
                }}
              />
            </label>
          )}
          {kinds.includes('sku') && (
            <label style={FILTER_STYLE}>
              {t('reports.filters.sku')}{' '}
              <input
                type="text"
                value={skuDraft}
                onChange={(e) => setSkuDraft(e.target.value)}
                onBlur={() => setFilter({ sku: skuDraft.trim() || undefined })}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') setFilter({ sku: skuDraft.trim() || undefined });
                }}
              />
            </label>
          )}
          {kinds.includes('range') && <span className="hint">{t('reports.filters.rangeHint')}</span>}
        </fieldset>
      )}
      {load.status === 'ready' && load.result.truncated && (
        <p className="hint" role="note">
          {t('reports.truncated', { count: total })}
        </p>
      )}
      {options.length > 0 && effective.length === 0 ? (
        <p className="state">{t('reports.noneSelected')}</p>
      ) : load.status === 'loading' || load.status === 'idle' ? (
        options.length > 0 && (
          <p className="state" role="status">
            {t('reports.loading')}
          </p>
        )
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
        <div
          ref={scrollRef}
          className="table-scroll"
          role="region"
          aria-label={t(`reports.names.${current}`)}
          // Scrollable: keyboard users scroll it too.
          tabIndex={0}
        >
          <table
            className="data-table report-table"
            data-testid="report-table"
            data-report={current}
            aria-rowcount={rows.length + 1}
          >
            <caption className="sr-only">{t(`reports.names.${current}`)}</caption>
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
              {padTop > 0 && <tr aria-hidden="true" style={{ height: padTop }} />}
              {inView.map(({ index }) => {
                const r = rows[index];
                if (r === undefined) return null;
                return (
                  <tr
                    key={index}
                    data-index={index}
                    ref={virtual ? virtualizer.measureElement : undefined}
                    aria-rowindex={index + 2}
                  >
                    {columns.map((c) => (
                      <td key={c.key} data-column={c.key} className={c.type === 'number' ? 'num' : undefined}>
                        {cellText(c.key, r[c.key], c)}
                      </td>
                    ))}
                  </tr>
                );
              })}
              {padBottom > 0 && <tr aria-hidden="true" style={{ height: padBottom }} />}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
