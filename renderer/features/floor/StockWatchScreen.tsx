import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { expiringSoon } from '../../../shared/domain/floor.js';
import { sortRows } from './model.js';
import { todayLocal } from './parts.js';
import { useStockWatch } from './stock-hooks.js';

type Sort<K extends string> = { by: K; dir: 'asc' | 'desc' };
const NO_NAMES: ReadonlyMap<string, { sku: string; name: string }> = new Map();

/** Expiring batches and items below their minimum stock, for the open tenant. */
export function StockWatchScreen() {
  const { t } = useTranslation();
  const [days, setDays] = useState(30);
  const watch = useStockWatch();
  const expiring = useMemo(
    () => (watch ? expiringSoon(watch.withExpiry, todayLocal(), days) : null),
    [watch, days],
  );
  const low = watch?.low ?? null;
  const names = watch?.names ?? NO_NAMES;
  const [eSort, setESort] = useState<Sort<'expiresAt' | 'sku' | 'locationId' | 'quantity'>>({
    by: 'expiresAt',
    dir: 'asc',
  });
  const [lSort, setLSort] = useState<Sort<'sku' | 'onHand' | 'minStock' | 'gap'>>({ by: 'gap', dir: 'asc' });

  const eRows = useMemo(
    () =>
      expiring
        ? sortRows(
            expiring,
            (r) =>
              eSort.by === 'sku'
                ? (names.get(r.itemId)?.sku ?? r.itemId)
                : eSort.by === 'expiresAt'
                  ? r.expiresAt
                  : r[eSort.by],
            eSort.dir,
          )
        : null,
    [expiring, eSort, names],
  );
  const lRows = useMemo(
    () =>
      low
        ? sortRows(low, (r) => (lSort.by === 'gap' ? r.onHand - r.minStock : r[lSort.by]), lSort.dir)
        : null,
    [low, lSort],
  );

  return (
    <div className="floor-columns stock-watch">
      <section
        className="card floor-screen"
        aria-labelledby="expiry-title"
        data-testid="expiry-view"
        data-count={eRows?.length}
        data-window={days}
      >
        <h2 id="expiry-title">{t('floor.watch.expiryTitle')}</h2>
        <label className="inline">
          {t('floor.watch.window')}
          <select name="expiry-window" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {[7, 30, 90, 365].map((d) => (
              <option key={d} value={d}>
                {t('floor.watch.days', { count: d })}
              </option>
            ))}
          </select>
        </label>
        {eRows === null ? (
          <p className="state">{t('app.loading')}</p>
        ) : eRows.length === 0 ? (
          <p className="state">{t('floor.watch.noExpiring', { count: days })}</p>
        ) : (
          <VirtualTable
            testId="expiry-scroller"
            label={t('floor.watch.expiryTitle')}
            rows={eRows}
            rowKey={(r) => `${r.itemId}|${r.locationId}|${r.batch ?? ''}`}
            head={
              <tr>
                <SortHeader label={t('floor.item')} col="sku" sort={eSort} onSort={setESort} />
                <SortHeader label={t('floor.location')} col="locationId" sort={eSort} onSort={setESort} />
                <th>{t('floor.batch')}</th>
                <SortHeader label={t('floor.expiry')} col="expiresAt" sort={eSort} onSort={setESort} />
                <SortHeader label={t('floor.quantity')} col="quantity" sort={eSort} onSort={setESort} num />
              </tr>
            }
            row={(r) => ({
              className: r.expired ? 'expired' : undefined,
              data: { 'data-batch': r.batch ?? '' },
              cells: (
                <>
                  <td>{names.get(r.itemId)?.sku ?? '…'}</td>
                  <td>{r.locationId}</td>
                  <td>{r.batch ?? '—'}</td>
                  <td>
                    {r.expiresAt}{' '}
                    <span className={r.expired ? 'error' : 'hint'}>
                      {r.expired
                        ? t('floor.watch.expired')
                        : t('floor.watch.daysLeft', { count: r.daysLeft })}
                    </span>
                  </td>
                  <td className="num">{r.quantity}</td>
                </>
              ),
            })}
          />
        )}
      </section>
      <section
        className="card floor-screen"
        aria-labelledby="low-title"
        data-testid="low-stock-view"
        data-count={lRows?.length}
      >
        <h2 id="low-title">{t('floor.watch.lowTitle')}</h2>
        {lRows === null ? (
          <p className="state">{t('app.loading')}</p>
        ) : lRows.length === 0 ? (
          <p className="state">{t('floor.watch.noLow')}</p>
        ) : (
          <VirtualTable
            testId="low-stock-scroller"
            label={t('floor.watch.lowTitle')}
            rows={lRows}
            rowKey={(r) => r.itemId}
            head={
              <tr>
                <SortHeader label={t('floor.item')} col="sku" sort={lSort} onSort={setLSort} />
                <th>{t('floor.watch.name')}</th>
                <SortHeader label={t('floor.watch.onHand')} col="onHand" sort={lSort} onSort={setLSort} num />
                <SortHeader
                  label={t('floor.watch.minStock')}
                  col="minStock"
                  sort={lSort}
                  onSort={setLSort}
                  num
                />
                <SortHeader label={t('floor.watch.gap')} col="gap" sort={lSort} onSort={setLSort} num />
              </tr>
            }
            row={(r) => ({
              data: { 'data-sku': r.sku },
              cells: (
                <>
                  <td>{r.sku}</td>
                  <td>{r.name}</td>
                  <td className="num">{r.onHand}</td>
                  <td className="num">{r.minStock}</td>
                  <td className="num error">{r.onHand - r.minStock}</td>
                </>
              ),
            })}
          />
        )}
      </section>
    </div>
  );
}

/** A column header that sorts (a button, so it works by keyboard), with aria-sort. */
function SortHeader<K extends string>(props: {
  label: ReactNode;
  col: K;
  sort: Sort<K>;
  onSort: (s: Sort<K>) => void;
  num?: boolean;
}) {
  const active = props.sort.by === props.col;
  return (
    <th
      className={props.num ? 'num' : undefined}
      aria-sort={active ? (props.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button
        type="button"
        className="sort"
        onClick={() =>
          props.onSort({ by: props.col, dir: active && props.sort.dir === 'asc' ? 'desc' : 'asc' })
        }
      >
        {props.label} {active ? (props.sort.dir === 'asc' ? '▲' : '▼') : ''}
      </button>
    </th>
  );
}

/** Estimated height of a table row before it is measured (px). */
const ROW_HEIGHT = 41;

/**
 * A table whose body renders only the rows in view (plus a margin) inside a scrollable region, so
 * 50,000 expiring batches scroll as smoothly as 5; spacer rows keep the scroll height. The region
 * takes keyboard focus, so it scrolls by keyboard too.
 */
function VirtualTable<R>(props: {
  testId: string;
  label: string;
  rows: readonly R[];
  rowKey: (r: R) => string;
  head: ReactNode;
  row: (r: R) => { className?: string; data: Record<`data-${string}`, string>; cells: ReactNode };
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: props.rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const top = items[0]?.start ?? 0;
  const bottom = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  return (
    <div
      ref={scrollRef}
      className="table-scroll"
      role="region"
      aria-label={props.label}
      tabIndex={0}
      data-testid={props.testId}
    >
      <table className="floor-table" aria-rowcount={props.rows.length + 1}>
        <thead>{props.head}</thead>
        <tbody>
          {top > 0 && <tr aria-hidden="true" style={{ height: top }} />}
          {items.map((v) => {
            const r = props.rows[v.index];
            if (r === undefined) return null;
            const { className, data, cells } = props.row(r);
            return (
              <tr
                key={props.rowKey(r)}
                ref={virtualizer.measureElement}
                data-index={v.index}
                aria-rowindex={v.index + 2}
                className={className}
                {...data}
              >
                {cells}
              </tr>
            );
          })}
          {bottom > 0 && <tr aria-hidden="true" style={{ height: bottom }} />}
        </tbody>
      </table>
    </div>
  );
}
