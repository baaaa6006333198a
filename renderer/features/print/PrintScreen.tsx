import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { combineLatest, map } from 'rxjs';
import type { OrderDoc } from '../../../shared/domain/floor.js';
import type { BalanceDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { useAcks } from '../../data/acks.js';
import { balanceBase } from '../../data/balance-base.js';
import { useActiveTenant, useWorkspace } from '../../data/workspace.js';
import { isStagingLocation } from '../floor/model.js';
import { stockRows } from '../floor/stock-hooks.js';
import { LabelSheet, PickListSheet, PRINT_CSS } from './PrintSheets.js';
import { pickListOf, type Label, type PickList } from './model.js';

type Kind = 'pickList' | 'itemLabels' | 'locationLabels';
const KINDS: Kind[] = ['pickList', 'itemLabels', 'locationLabels'];
/** Labels prepared at most (a few pages; the filter narrows the rest). */
const LABEL_CAP = 60;

/** Picking never takes from receiving/staging or shipping bins. */
const pickable = (locationId: string) => !isStagingLocation(locationId) && !/^SHP[-_]/i.test(locationId);

/** Local calendar day, YYYY-MM-DD (expiry is a date on the floor). */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Orders that can still be picked, live; null while loading. */
function useOpenOrders(): OrderDoc[] | null {
  const db = useWorkspace((s) => s.db);
  const [orders, setOrders] = useState<OrderDoc[] | null>(null);
  useEffect(() => {
    if (!db) return;
    const sub = db.orders
      .find({ selector: { status: { $in: ['open', 'picking'] } } })
      .$.subscribe((docs) =>
        setOrders(
          docs.map((d) => d.toJSON() as unknown as OrderDoc).sort((a, b) => a.number.localeCompare(b.number)),
        ),
      );
    return () => sub.unsubscribe();
  }, [db]);
  return orders;
}

/** The pick list of one order over this PC's stock (server balances + own unsynced moves). */
function usePickList(order: OrderDoc | null): PickList | null {
  const db = useWorkspace((s) => s.db);
  const [list, setList] = useState<PickList | null>(null);
  const ids = order ? [...new Set(order.lines.map((l) => l.itemId))].sort().join(',') : '';
  useEffect(() => {
    if (!db || !order || ids === '') return setList(null);
    const itemIds = ids.split(',');
    const sel = { selector: { itemId: { $in: itemIds } } };
    const sub = combineLatest([
      db.items.find({ selector: { id: { $in: itemIds } } }).$,
      db.balances.find(sel).$.pipe(map((d) => d.map((x) => x.toJSON() as BalanceDoc))),
      db.movements.find(sel).$.pipe(map((d) => d.map((x) => x.toJSON() as MovementDoc))),
    ]).subscribe(([items, b, m]) => {
      const names = new Map(items.map((i) => [i.id, { sku: i.sku, name: i.name }] as const));
      setList(
        pickListOf(
          order,
          names,
          stockRows(b, m, useAcks.getState().seqs, balanceBase(db.name)),
          today(),
          pickable,
        ),
      );
    });
    return () => sub.unsubscribe();
  }, [db, order, ids]);
  return list;
}

/** Item labels: SKU (or primary barcode) large, name under it; null while loading. */
function useItemLabels(prefix: string): Label[] | null {
  const db = useWorkspace((s) => s.db);
  const [labels, setLabels] = useState<Label[] | null>(null);
  useEffect(() => {
    if (!db) return;
    const p = prefix.trim();
    const escaped = p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const query =
      p === ''
        ? db.items.find({ sort: [{ sku: 'asc' }], limit: LABEL_CAP + 1 })
        : db.items.find({
            selector: {
              $or: [
                { sku: { $regex: `^${escaped}`, $options: 'i' } },
                { name: { $regex: `^${escaped}`, $options: 'i' } },
              ],
            },
            sort: [{ sku: 'asc' }],
            limit: LABEL_CAP + 1,
          });
    const sub = query.$.subscribe((docs) =>
      setLabels(
        docs.map((d) => ({
          code: d.barcode ?? d.sku,
          title: d.name,
          subtitle: d.barcode ? `${d.sku} · ${d.uom}` : d.uom,
        })),
      ),
    );
    return () => sub.unsubscribe();
  }, [db, prefix]);
  return labels;
}

/**
 * Location labels: the bin's barcode large, code and name under it; null while loading. Until the
 * site's locations have synced, the bins this client has stock in (from its balances) stand in.
 */
function useLocationLabels(prefix: string): Label[] | null {
  const db = useWorkspace((s) => s.db);
  const [labels, setLabels] = useState<Label[] | null>(null);
  useEffect(() => {
    if (!db) return;
    const sub = combineLatest([
      db.locations.find().$.pipe(map((d) => d.map((x) => x.toJSON()))),
      db.balances.find({ limit: 5000 }).$.pipe(map((d) => [...new Set(d.map((x) => x.locationId))])),
    ]).subscribe(([locations, binIds]) => {
      const p = prefix.trim().toUpperCase();
      const all: Label[] =
        locations.length > 0
          ? locations.map((l) => ({ code: l.barcode, title: l.id, subtitle: `${l.name} · ${l.kind}` }))
          : binIds.map((id) => ({ code: id, title: id }));
      setLabels(
        all
          .filter((l) => p === '' || l.title.toUpperCase().startsWith(p))
          .sort((a, b) => a.title.localeCompare(b.title))
          .slice(0, LABEL_CAP + 1),
      );
    });
    return () => sub.unsubscribe();
  }, [db, prefix]);
  return labels;
}

/** Printable pick lists and labels: the browser's print dialog (or “Save as PDF”) does the rest. */
export function PrintScreen() {
  const { t, i18n } = useTranslation();
  const tenantId = useActiveTenant();
  const db = useWorkspace((s) => s.db);
  const [kind, setKind] = useState<Kind>('pickList');
  const [orderId, setOrderId] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const orders = useOpenOrders();
  const order = orders?.find((o) => o.id === orderId) ?? orders?.[0] ?? null;
  const pickList = usePickList(kind === 'pickList' ? order : null);
  const itemLabels = useItemLabels(kind === 'itemLabels' ? filter : '');
  const locationLabels = useLocationLabels(kind === 'locationLabels' ? filter : '');
  const labels = kind === 'itemLabels' ? itemLabels : kind === 'locationLabels' ? locationLabels : null;
  const printedAt = useMemo(
    () =>
      new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date()),
    // Re-stamped when the document changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [i18n.language, pickList, kind],
  );

  if (!tenantId || !db) {
    return (
      <section className="card" aria-labelledby="print-title">
        <h2 id="print-title">{t('print.title')}</h2>
        <p className="state">{t('print.noClient')}</p>
      </section>
    );
  }
  const ready = kind === 'pickList' ? pickList !== null : labels !== null && labels.length > 0;

  return (
    <div className="print-screen">
      <style>{PRINT_CSS}</style>
      <section className="card no-print" aria-labelledby="print-title">
        <h2 id="print-title">{t('print.title')}</h2>
        <fieldset className="print-kind">
          <legend>{t('print.kind')}</legend>
          {KINDS.map((k) => (
            <label key={k} className="checkbox">
              <input
                type="radio"
                name="print-kind"
                value={k}
                checked={kind === k}
                onChange={() => {
                  setKind(k);
                  setFilter('');
                }}
              />
              {t(`print.kinds.${k}`)}
            </label>
          ))}
        </fieldset>
        {kind === 'pickList' ? (
          orders === null ? (
            <p className="state" role="status">
              {t('print.loading')}
            </p>
          ) : orders.length === 0 ? (
            <p className="state">{t('print.noOrders')}</p>
          ) : (
            <label>
              {t('print.order')}{' '}
              <select value={order?.id ?? ''} onChange={(e) => setOrderId(e.target.value)}>
                {orders.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.number}
                  </option>
                ))}
              </select>
            </label>
          )
        ) : (
          <label>
            {kind === 'itemLabels' ? t('print.filter') : t('print.locationFilter')}{' '}
            <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
        )}
        {labels !== null && (
          <p className="hint" role="status">
            {labels.length > LABEL_CAP
              ? t('print.labelCap', { count: LABEL_CAP })
              : t('print.labelCount', { count: labels.length })}
          </p>
        )}
        {labels !== null && labels.length === 0 && (
          <p className="state">{kind === 'itemLabels' ? t('print.noItems') : t('print.noLocations')}</p>
        )}
        <p>
          <button type="button" disabled={!ready} onClick={() => window.print()}>
            {t('print.print')}
          </button>{' '}
          <span className="hint">{t('print.printHint')}</span>
        </p>
      </section>
      {kind === 'pickList' && pickList && <PickListSheet list={pickList} printedAt={printedAt} />}
      {kind !== 'pickList' && labels && labels.length > 0 && (
        <LabelSheet labels={labels.slice(0, LABEL_CAP)} />
      )}
    </div>
  );
}
