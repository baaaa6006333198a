import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { combineLatest, map, switchMap } from 'rxjs';
import { expiringSoon, lowStock, type Expiring, type LowStock } from '../../../shared/domain/floor.js';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { onHandByItem } from '../../../shared/domain/stock.js';
import { effectiveSeq, useAcks } from '../../data/acks.js';
import { useWorkspace } from '../../data/workspace.js';
import { sortRows } from './model.js';
import { todayLocal } from './parts.js';
import { stockRows, useItemsById } from './stock-hooks.js';

type Sort<K extends string> = { by: K; dir: 'asc' | 'desc' };

/** Expiring batches and items below their minimum stock, for the open tenant. */
export function StockWatchScreen() {
  const { t } = useTranslation();
  const [days, setDays] = useState(30);
  const expiring = useExpiring(days);
  const low = useLowStock();
  const names = useItemsById([...new Set((expiring ?? []).map((e) => e.itemId))]);
  const [eSort, setESort] = useState<Sort<'expiresAt' | 'sku' | 'locationId' | 'quantity'>>({
    by: 'expiresAt',
    dir: 'asc',
  });
  const [lSort, setLSort] = useState<Sort<'sku' | 'onHand' | 'minStock' | 'gap'>>({ by: 'gap', dir: 'asc' });

  const eRows = expiring
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
    : null;
  const lRows = low
    ? sortRows(low, (r) => (lSort.by === 'gap' ? r.onHand - r.minStock : r[lSort.by]), lSort.dir)
    : null;

  return (
    <div className="floor-columns stock-watch">
      <section className="card floor-screen" aria-labelledby="expiry-title" data-testid="expiry-view">
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
          <table className="floor-table">
            <thead>
              <tr>
                <SortHeader label={t('floor.item')} col="sku" sort={eSort} onSort={setESort} />
                <SortHeader label={t('floor.location')} col="locationId" sort={eSort} onSort={setESort} />
                <th>{t('floor.batch')}</th>
                <SortHeader label={t('floor.expiry')} col="expiresAt" sort={eSort} onSort={setESort} />
                <SortHeader label={t('floor.quantity')} col="quantity" sort={eSort} onSort={setESort} num />
              </tr>
            </thead>
            <tbody>
              {eRows.map((r) => (
                <tr
                  key={`${r.itemId}|${r.locationId}|${r.batch ?? ''}`}
                  className={r.expired ? 'expired' : undefined}
                  data-batch={r.batch ?? ''}
                >
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
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card floor-screen" aria-labelledby="low-title" data-testid="low-stock-view">
        <h2 id="low-title">{t('floor.watch.lowTitle')}</h2>
        {lRows === null ? (
          <p className="state">{t('app.loading')}</p>
        ) : lRows.length === 0 ? (
          <p className="state">{t('floor.watch.noLow')}</p>
        ) : (
          <table className="floor-table">
            <thead>
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
            </thead>
            <tbody>
              {lRows.map((r) => (
                <tr key={r.itemId} data-sku={r.sku}>
                  <td>{r.sku}</td>
                  <td>{r.name}</td>
                  <td className="num">{r.onHand}</td>
                  <td className="num">{r.minStock}</td>
                  <td className="num error">{r.onHand - r.minStock}</td>
                </tr>
              ))}
            </tbody>
          </table>
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

/** Batches expiring within `days` (expired ones included), live; null while loading. */
function useExpiring(days: number): Expiring[] | null {
  const db = useWorkspace((s) => s.db);
  const [rows, setRows] = useState<Expiring[] | null>(null);
  useEffect(() => {
    if (!db) return;
    const balances$ = db.balances
      .find({ selector: { batch: { $ne: null } } })
      .$.pipe(map((d) => d.map((x) => x.toJSON() as BalanceDoc)));
    const movements$ = db.movements
      .find({ selector: { batch: { $ne: null } } })
      .$.pipe(map((d) => d.map((x) => x.toJSON() as MovementDoc)));
    const sub = combineLatest([balances$, movements$]).subscribe(([b, m]) => {
      const all = stockRows(b, m, useAcks.getState().seqs);
      setRows(expiringSoon(all, todayLocal(), days));
    });
    return () => sub.unsubscribe();
  }, [db, days]);
  return rows;
}

/** Items with a minimum stock whose on-hand (server + own unsynced) is below it; null while loading. */
function useLowStock(): LowStock[] | null {
  const db = useWorkspace((s) => s.db);
  const [rows, setRows] = useState<LowStock[] | null>(null);
  useEffect(() => {
    if (!db) return;
    const items$ = db.items
      .find({ selector: { minStock: { $gte: 0 } } })
      .$.pipe(map((d) => d.map((x) => x.toJSON() as ItemDoc)));
    // Stock of exactly those items, re-derived whenever it changes.
    const sub = items$
      .pipe(
        switchMap((items) => {
          const ids = items.map((i) => i.id);
          return combineLatest([
            db.balances.find({ selector: { itemId: { $in: ids } } }).$,
            db.movements.find({ selector: { itemId: { $in: ids } } }).$,
          ]).pipe(map(([b, m]) => ({ items, b, m })));
        }),
      )
      .subscribe(({ items, b, m }) => {
        const acks = useAcks.getState().seqs;
        const onHand = onHandByItem(
          b.map((x) => x.toJSON() as BalanceDoc),
          m.map((x) => ({ ...(x.toJSON() as MovementDoc), seq: effectiveSeq(x, acks) })),
        );
        setRows(lowStock(items, onHand));
      });
    return () => sub.unsubscribe();
  }, [db]);
  return rows;
}
