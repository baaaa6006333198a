import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWrite, canWriteEntity } from '../../../shared/access/policy.js';
import { fefoSuggest, orderPicked, type OrderDoc, type OrderLine } from '../../../shared/domain/floor.js';
import {
  cancelOrder,
  createOrder,
  floorContext,
  packOrder,
  pickLine,
  shipOrder,
  useBalancesByItem,
  useMovementsOf,
  useOrders,
} from '../../data/floor.js';
import { useActiveTenant } from '../../data/workspace.js';
import { requestConfirmation } from '../../state/confirm.js';
import { usePrincipal } from '../../state/session.js';
import { DocPickList } from './DocPickList.js';
import { floorErrorText } from './errors.js';
import { LineEditor, type DraftLine } from './LineEditor.js';
import { OrderEditor } from './OrderEditor.js';
import { useFloorForm } from './form.js';
import { useScanLookup } from './lookup.js';
import { isStagingLocation } from './model.js';
import {
  ctrlEnterSubmits,
  Field,
  FeedbackLine,
  parseQty,
  QtyField,
  ScanLineForm,
  sounded,
  todayLocal,
  type Feedback,
} from './parts.js';
import { ScanField } from './ScanField.js';
import type { ScanHit } from './scan.js';
import { useItemsById } from './stock-hooks.js';

/** Where picked goods wait for packing and shipping. */
const STAGING = 'STG-01';

/** Picking never takes from receiving/staging bins (that stock is not put away, or already picked). */
const pickable = (locationId: string) => !isStagingLocation(locationId) && !/^SHP[-_]/i.test(locationId);

/**
 * Outbound: open orders → pick with FEFO bin suggestions (shortages shown, never negative stock),
 * pack, ship; cancelling is destructive and confirmed by retyping the order number.
 */
export function OutboundScreen() {
  const { t } = useTranslation();
  const orders = useOrders(['open', 'picking', 'packed']);
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const mayCreate =
    principal !== null && tenantId !== null && canWrite(principal, tenantId, 'orders', 'customerName');
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<Feedback>(null);
  const current = orders?.find((o) => o.id === selected) ?? null;

  return (
    <div className="floor-columns outbound">
      <section className="card floor-screen" aria-labelledby="orders-title" data-testid="orders">
        <h2 id="orders-title">{t('floor.outbound.title')}</h2>
        <div className="actions">
          <span title={mayCreate ? undefined : t('floor.outbound.cannotCreate')}>
            <button type="button" disabled={!mayCreate} onClick={() => setCreating(true)}>
              {t('floor.outbound.newOrder')}
            </button>
          </span>
        </div>
        {creating && (
          <NewOrder
            onDone={(id) => {
              setCreating(false);
              if (id) setSelected(id);
            }}
          />
        )}
        <DocPickList
          docs={orders}
          selected={selected}
          onSelect={setSelected}
          label={t('floor.outbound.open')}
          empty={t('floor.outbound.none')}
          dataName="data-number"
          code={(o) => o.number}
          party={(o) => o.customerName ?? ''}
          hint={(o) => (
            <>
              {t('floor.outbound.lineCount', { count: o.lines.length })} ·{' '}
              {t(`floor.outbound.status.${o.status}`)}
            </>
          )}
        />
        <FeedbackLine feedback={notice} />
      </section>
      {current ? (
        <OrderPanel
          key={current.id}
          order={current}
          onGone={(message) => {
            // Only if it is still the one shown: the list drops a finished document before its
            // write's promise settles, and the operator may have opened the next one meanwhile.
            const gone = current.id;
            setSelected((s) => (s === gone ? null : s));
            setNotice({ kind: 'ok', text: message });
          }}
        />
      ) : (
        <section className="card floor-screen">
          <p className="state">{t('floor.outbound.pick')}</p>
        </section>
      )}
    </div>
  );
}

/** A new order: number, customer, ship-to address and lines (by scanner). */
function NewOrder({ onDone }: { onDone: (id: string | null) => void }) {
  const { t } = useTranslation();
  const lookup = useScanLookup();
  const [f, setF] = useState({ number: '', customer: '', line1: '', city: '', postalCode: '', country: '' });
  const [lines, setLines] = useState<DraftLine[]>([]);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const refs = {
    number: useRef<HTMLInputElement>(null),
    customer: useRef<HTMLInputElement>(null),
    line1: useRef<HTMLInputElement>(null),
    city: useRef<HTMLInputElement>(null),
    postalCode: useRef<HTMLInputElement>(null),
    country: useRef<HTMLInputElement>(null),
  };
  const scanRef = useRef<HTMLInputElement>(null);
  useEffect(() => refs.number.current?.focus(), [refs.number]);

  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    const missing = (['number', 'customer', 'line1', 'city', 'country'] as const).find(
      (k) => f[k].trim() === '',
    );
    if (missing) {
      setFeedback(sounded({ kind: 'error', text: t('floor.outbound.required') }));
      return refs[missing].current?.focus();
    }
    if (lines.length === 0) {
      setFeedback(sounded({ kind: 'error', text: t('floor.lines.needOne') }));
      return scanRef.current?.focus();
    }
    try {
      const doc = await createOrder(floorContext(), {
        number: f.number,
        customerName: f.customer,
        shipTo: {
          line1: f.line1.trim(),
          line2: null,
          city: f.city.trim(),
          postalCode: f.postalCode.trim() || null,
          country: f.country.trim(),
        },
        lines: lines.map((l) => ({ itemId: l.item.id, qty: l.qty })),
      });
      sounded({ kind: 'ok', text: '' });
      onDone(doc.id);
    } catch (err) {
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };

  const field = (k: keyof typeof f, next: keyof typeof refs | 'scan') => (
    <Field
      name={`order-${k}`}
      label={t(`floor.outbound.${k}`)}
      value={f[k]}
      onChange={(v) => setF({ ...f, [k]: v })}
      inputRef={refs[k]}
      next={next === 'scan' ? scanRef : refs[next]}
    />
  );
  if (!lookup) return null;
  return (
    <form
      className="floor-form new-order"
      aria-label={t('floor.outbound.newOrder')}
      onSubmit={(e) => void save(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onDone(null);
        ctrlEnterSubmits(e);
      }}
    >
      {field('number', 'customer')}
      {field('customer', 'line1')}
      {field('line1', 'city')}
      {field('city', 'postalCode')}
      {field('postalCode', 'country')}
      {field('country', 'scan')}
      <LineEditor name="order-lines" lookup={lookup} lines={lines} onChange={setLines} scanRef={scanRef} />
      <div className="actions">
        <button type="submit" className="primary">
          {t('floor.outbound.saveOrder')}
        </button>
        <button type="button" onClick={() => onDone(null)}>
          {t('floor.cancel')}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </form>
  );
}

/** One order: lines with picked/suggested bins/shortage, the pick form, pack, ship and cancel. */
function OrderPanel({ order, onGone }: { order: OrderDoc; onGone: (message: string) => void }) {
  const { t } = useTranslation();
  const movements = useMovementsOf(order.id);
  const picked = movements ? orderPicked(order, movements) : null;
  const items = useItemsById(order.lines.map((l) => l.itemId));
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const allowed = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'orders');
  // Lines change while the order is open; customer and address until it ships (field policy).
  const mayEdit =
    allowed &&
    (order.status === 'open' ||
      (['customerName', 'customerPhone', 'customerEmail', 'shipTo'] as const).some((f) =>
        canWrite(principal, tenantId, 'orders', f),
      ));
  const [editing, setEditing] = useState(false);
  const editRef = useRef<HTMLButtonElement>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  // A pick is written in two steps (movement, then order status); Pack waits for both.
  const [pickBusy, setPickBusy] = useState(false);
  const [suggested, setSuggested] = useState<
    Record<string, { locationId: string; batch: string | null; quantity: number } | null>
  >({});
  const packRef = useRef<HTMLButtonElement>(null);
  const shipRef = useRef<HTMLButtonElement>(null);
  const fullyPicked = picked !== null && order.lines.every((l) => (picked.get(l.lineId) ?? 0) >= l.qty);
  const canPick = order.status === 'open' || order.status === 'picking';
  // Lines picked below what was ordered, and by how much (an order packed short keeps showing it).
  const shortLines =
    picked === null
      ? []
      : order.lines
          .map((l) => ({ line: l, picked: picked.get(l.lineId) ?? 0 }))
          .filter((x) => x.picked < x.line.qty);
  const missing = shortLines.reduce((sum, x) => sum + x.line.qty - x.picked, 0);
  const anyPicked = picked !== null && [...picked.values()].some((q) => q > 0);

  const act = async (what: () => Promise<unknown>, ok: string, gone = false) => {
    try {
      await what();
      sounded({ kind: 'ok', text: ok });
      if (gone) onGone(ok);
      else setFeedback({ kind: 'ok', text: ok });
    } catch (err) {
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };
  const cancel = async () => {
    const ctx = floorContext();
    const confirmation = await requestConfirmation({
      kind: 'cancel',
      subject: t('floor.outbound.cancelSubject', {
        number: order.number,
        customer: order.customerName ?? '',
      }),
      identifying: order.number,
      needsCosign: false,
      tenantId: ctx.tenantId,
      entity: 'orders',
      entityId: order.id,
      action: 'update',
    });
    if (!confirmation) return;
    await act(
      () => cancelOrder(ctx, order.id, confirmation),
      t('floor.outbound.cancelled', { number: order.number }),
      true,
    );
  };

  /** Pack what is picked, after a confirmation that states the shortage line by line. */
  const packShort = async () => {
    const ctx = floorContext();
    const lines = shortLines
      .map((x) =>
        t('floor.outbound.packShortLine', {
          sku: items.get(x.line.itemId)?.sku ?? x.line.itemId,
          picked: x.picked,
          ordered: x.line.qty,
        }),
      )
      .join('; ');
    const confirmation = await requestConfirmation({
      kind: 'pack-short',
      subject: t('floor.outbound.packShortSubject', { number: order.number, lines, count: missing }),
      identifying: order.number,
      needsCosign: false,
      tenantId: ctx.tenantId,
      entity: 'orders',
      entityId: order.id,
      action: 'update',
    });
    if (!confirmation) return;
    await act(
      () => packOrder(ctx, order.id, { allowShort: true, confirmation }),
      t('floor.outbound.packedShortMsg', { number: order.number, count: missing }),
    );
  };

  // When everything is picked, the next keyboard step is Pack; when packed, Ship.
  useEffect(() => {
    if (editing) return;
    if (order.status === 'packed') shipRef.current?.focus();
    else if (fullyPicked && canPick && !pickBusy) packRef.current?.focus();
  }, [fullyPicked, order.status, canPick, pickBusy, editing]);

  return (
    <section className="card floor-screen order" aria-labelledby="order-title" data-testid="order-panel">
      <h2 id="order-title">
        {order.number} <span className="hint">{t(`floor.outbound.status.${order.status}`)}</span>
      </h2>
      {order.customerName !== undefined && (
        <p className="ship-to" data-testid="ship-to">
          {order.customerName}
          {shipToText(order.shipTo)}
        </p>
      )}
      {editing ? (
        <OrderEditor
          order={order}
          onDone={(message) => {
            setEditing(false);
            if (message) setFeedback({ kind: 'ok', text: message });
            setTimeout(() => editRef.current?.focus());
          }}
        />
      ) : picked === null ? (
        <p className="state">{t('app.loading')}</p>
      ) : (
        <table className="floor-table" data-testid="order-lines">
          <thead>
            <tr>
              <th>{t('floor.item')}</th>
              <th className="num">{t('floor.outbound.ordered')}</th>
              <th className="num">{t('floor.outbound.picked')}</th>
              <th>{t('floor.outbound.suggested')}</th>
            </tr>
          </thead>
          <tbody>
            {order.lines.map((l) => (
              <OrderLineRow
                key={l.lineId}
                line={l}
                sku={items.get(l.itemId)?.sku ?? '…'}
                picked={picked.get(l.lineId) ?? 0}
                pickable={canPick}
                onSuggest={(s) =>
                  setSuggested((cur) =>
                    JSON.stringify(cur[l.itemId] ?? null) === JSON.stringify(s)
                      ? cur
                      : { ...cur, [l.itemId]: s },
                  )
                }
              />
            ))}
          </tbody>
        </table>
      )}
      {!editing && !canPick && shortLines.length > 0 && (
        <p className="error short-summary" role="status" data-testid="short-summary">
          {t('floor.outbound.shortSummary', { count: missing, lines: shortLines.length })}
        </p>
      )}
      {!editing && canPick && allowed && !fullyPicked && (
        <PickForm
          order={order}
          suggested={suggested}
          onPicked={(m) => setFeedback(sounded({ kind: 'ok', text: m }))}
          onBusy={setPickBusy}
        />
      )}
      <div className="actions" hidden={editing}>
        <button
          ref={editRef}
          type="button"
          title={mayEdit ? undefined : t('floor.outbound.edit.cannot')}
          disabled={!mayEdit}
          onClick={() => setEditing(true)}
        >
          {t('floor.outbound.edit.open')}
        </button>
        <button
          ref={packRef}
          type="button"
          className="primary"
          disabled={!allowed || !canPick || !fullyPicked || pickBusy}
          onClick={() =>
            void act(
              () => packOrder(floorContext(), order.id),
              t('floor.outbound.packed', { number: order.number }),
            )
          }
        >
          {t('floor.outbound.pack')}
        </button>
        {canPick && !fullyPicked && anyPicked && (
          <button
            type="button"
            title={t('floor.outbound.packShortHint')}
            disabled={!allowed || pickBusy}
            onClick={() => void packShort()}
          >
            {t('floor.outbound.packShort')}
          </button>
        )}
        <button
          ref={shipRef}
          type="button"
          className="primary"
          disabled={!allowed || order.status !== 'packed'}
          onClick={() =>
            void act(
              () => shipOrder(floorContext(), order.id),
              t('floor.outbound.shipped', { number: order.number }),
              true,
            )
          }
        >
          {t('floor.outbound.ship')}
        </button>
        <button type="button" className="danger" disabled={!allowed} onClick={() => void cancel()}>
          {t('floor.outbound.cancelOrder')}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </section>
  );
}

/** The ship-to address in one line; a masked address (auditors) arrives as the mask string. */
function shipToText(shipTo: unknown): string {
  if (typeof shipTo === 'string') return ` · ${shipTo}`;
  if (!shipTo || typeof shipTo !== 'object') return '';
  const a = shipTo as { line1?: string; postalCode?: string | null; city?: string; country?: string };
  return ` · ${[a.line1, [a.postalCode, a.city].filter(Boolean).join(' '), a.country].filter(Boolean).join(', ')}`;
}

/** One order line: picked so far, the FEFO suggestion for the rest, and any shortage. */
function OrderLineRow(props: {
  line: OrderLine;
  sku: string;
  picked: number;
  /** False once the order is packed: what is missing then is a decided shortage, not a to-do. */
  pickable: boolean;
  onSuggest: (s: { locationId: string; batch: string | null; quantity: number } | null) => void;
}) {
  const { t } = useTranslation();
  const rows = useBalancesByItem(props.line.itemId);
  const remaining = Math.max(0, props.line.qty - props.picked);
  const fefo = rows ? fefoSuggest(rows, props.line.itemId, remaining, todayLocal(), { pickable }) : null;
  const first = fefo?.picks[0] ?? null;
  const { onSuggest } = props;
  useEffect(() => {
    onSuggest(first ? { locationId: first.locationId, batch: first.batch, quantity: first.quantity } : null);
  }, [first?.locationId, first?.batch, first?.quantity]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <tr
      data-sku={props.sku}
      data-short={
        !props.pickable ? remaining || undefined : fefo && fefo.shortBy > 0 ? fefo.shortBy : undefined
      }
    >
      <td>{props.sku}</td>
      <td className="num">{props.line.qty}</td>
      <td className="num" data-testid="picked">
        {props.picked}
      </td>
      <td data-testid="suggestion">
        {remaining === 0 ? (
          <span className="badge ok">{t('floor.outbound.done')}</span>
        ) : !props.pickable ? (
          <span className="badge danger" data-testid="packed-short">
            {t('floor.outbound.packedShort', { count: remaining })}
          </span>
        ) : fefo === null ? (
          t('app.loading')
        ) : (
          <>
            {fefo.picks.map((p) => (
              <span key={`${p.locationId}|${p.batch ?? ''}`} className="suggest">
                {t('floor.outbound.take', {
                  quantity: p.quantity,
                  location: p.locationId,
                  batch: p.batch ?? '—',
                })}
                {p.expiresAt ? ` (${p.expiresAt})` : ''}
              </span>
            ))}
            {fefo.shortBy > 0 && (
              <span className="badge danger" role="status" data-testid="shortage">
                {t('floor.outbound.short', { count: fefo.shortBy })}
              </span>
            )}
            {fefo.expired.length > 0 && (
              <span className="hint"> {t('floor.outbound.expiredLeft', { count: fefo.expired.length })}</span>
            )}
          </>
        )}
      </td>
    </tr>
  );
}

/**
 * Pick by scanner: item⏎ bin⏎ (the FEFO suggestion is filled in; Enter accepts) batch⏎
 * quantity⏎ ⏎. The local data API refuses anything that would go negative or over-pick.
 */
function PickForm(props: {
  order: OrderDoc;
  suggested: Record<string, { locationId: string; batch: string | null; quantity: number } | null>;
  onPicked: (message: string) => void;
  onBusy: (busy: boolean) => void;
}) {
  const { t } = useTranslation();
  const lookup = useScanLookup();
  const [code, setCode] = useState('');
  const [hit, setHit] = useState<ScanHit | null>(null);
  const [bin, setBin] = useState('');
  const [binHit, setBinHit] = useState<ScanHit | null>(null);
  const [batch, setBatch] = useState('');
  const [qty, setQty] = useState('');
  const { feedback, setFeedback, busy, submitRef, fail, run } = useFloorForm(props.onBusy);
  const itemRef = useRef<HTMLInputElement>(null);
  const binRef = useRef<HTMLInputElement>(null);
  const batchRef = useRef<HTMLInputElement>(null);
  const qtyRef = useRef<HTMLInputElement>(null);
  const item = hit?.kind === 'item' ? hit.item : null;
  useEffect(() => itemRef.current?.focus(), []);

  /** Clears the pick and goes back to the item. */
  const startOver = () => {
    setCode('');
    setHit(null);
    setBin('');
    setBinHit(null);
    setBatch('');
    setQty('');
    itemRef.current?.focus();
  };

  const submit = async (e?: SyntheticEvent) => {
    e?.preventDefault();
    if (busy) return;
    if (!item) return fail(t('floor.putaway.scanItemFirst'), itemRef);
    const q = parseQty(qty);
    if (q === null) return fail(t('floor.badQuantity'), qtyRef);
    const from = binHit?.kind === 'location' ? binHit.locationId : bin.trim().toUpperCase();
    await run(async () => {
      await pickLine(floorContext(), {
        orderId: props.order.id,
        itemId: item.id,
        batch: batch.trim() || null,
        from,
        qty: q,
        to: STAGING,
      });
      setFeedback(null);
      props.onPicked(t('floor.outbound.pickedMsg', { quantity: q, sku: item.sku, location: from }));
      startOver();
    });
  };

  if (!lookup) return null;
  return (
    <ScanLineForm
      className="floor-form pick"
      label={t('floor.outbound.pickTitle')}
      submitLabel={t('floor.outbound.pickSubmit')}
      onSubmit={(e) => void submit(e)}
      onEscape={startOver}
      submitRef={submitRef}
      busy={busy}
      feedback={feedback}
    >
      <ScanField
        name="pick-item"
        label={t('floor.outbound.pickItem')}
        accept={['item']}
        lookup={lookup}
        value={code}
        onChange={setCode}
        inputRef={itemRef}
        nextRef={binRef}
        hit={hit}
        onRecognized={(h) => {
          setHit(h);
          if (h.kind !== 'item') return;
          const s = props.suggested[h.item.id];
          if (s) {
            setBin(s.locationId);
            setBinHit(null);
            setBatch(s.batch ?? '');
            setQty(String(s.quantity));
          }
        }}
      />
      <ScanField
        name="pick-bin"
        label={t('floor.outbound.pickBin')}
        accept={['location']}
        lookup={lookup}
        value={bin}
        onChange={setBin}
        inputRef={binRef}
        nextRef={batchRef}
        hit={binHit}
        onRecognized={setBinHit}
      />
      <Field
        name="pick-batch"
        label={t('floor.batch')}
        value={batch}
        onChange={setBatch}
        inputRef={batchRef}
        next={qtyRef}
      />
      <QtyField name="pick-qty" value={qty} onChange={setQty} inputRef={qtyRef} next={submitRef} />
    </ScanLineForm>
  );
}
