import { createRef, useEffect, useMemo, useRef, useState, type RefObject, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWrite } from '../../../shared/access/policy.js';
import { orderPicked, type OrderDoc } from '../../../shared/domain/floor.js';
import { floorContext, updateOrder, useMovementsOf, type OrderPatch } from '../../data/floor.js';
import { useActiveTenant } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { LineEditor, type DraftLine } from './LineEditor.js';
import { useFloorForm } from './form.js';
import { useScanLookup } from './lookup.js';
import { ctrlEnterSubmits, enterTo, Field, FeedbackLine, parseQty, sounded } from './parts.js';
import { useItemsById } from './stock-hooks.js';

type CustomerKey = 'customer' | 'phone' | 'email' | 'line1' | 'city' | 'postalCode' | 'country';
const CUSTOMER_KEYS: readonly CustomerKey[] = [
  'customer',
  'phone',
  'email',
  'line1',
  'city',
  'postalCode',
  'country',
];
/** The order field each form field writes (the field policy decides per field). */
const FIELD_OF: Record<CustomerKey, 'customerName' | 'customerPhone' | 'customerEmail' | 'shipTo'> = {
  customer: 'customerName',
  phone: 'customerPhone',
  email: 'customerEmail',
  line1: 'shipTo',
  city: 'shipTo',
  postalCode: 'shipTo',
  country: 'shipTo',
};
const LABEL_OF: Record<CustomerKey, string> = {
  customer: 'floor.outbound.customer',
  phone: 'floor.outbound.edit.phone',
  email: 'floor.outbound.edit.email',
  line1: 'floor.outbound.line1',
  city: 'floor.outbound.city',
  postalCode: 'floor.outbound.postalCode',
  country: 'floor.outbound.country',
};

/** The customer fields of an order as form values (a masked or hidden address is empty). */
function initialValues(order: OrderDoc): Record<CustomerKey, string> {
  const a = typeof order.shipTo === 'object' && order.shipTo !== null ? order.shipTo : null;
  return {
    customer: order.customerName ?? '',
    phone: order.customerPhone ?? '',
    email: order.customerEmail ?? '',
    line1: a?.line1 ?? '',
    city: a?.city ?? '',
    postalCode: a?.postalCode ?? '',
    country: a?.country ?? '',
  };
}

/**
 * Edit an order after it was created (issue #5): customer and ship-to (only what the role may
 * write; the rest is not shown), and — while the order is open — its lines: quantities, removal
 * (confirmed on the line: an ordinary edit, not the order's cancellation) and new lines by scanner.
 * Enter moves on, Ctrl+Enter saves, Esc cancels. The edit is sent as changes against what the form
 * showed, so a line another PC added meanwhile survives. Writes locally (offline too); syncs later.
 */
export function OrderEditor({
  order,
  onDone,
}: {
  order: OrderDoc;
  onDone: (message: string | null) => void;
}) {
  const { t } = useTranslation();
  const lookup = useScanLookup();
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const may = (field: string) =>
    principal !== null && tenantId !== null && canWrite(principal, tenantId, 'orders', field);
  const keys = CUSTOMER_KEYS.filter((k) => may(FIELD_OF[k]));
  const linesEditable = order.status === 'open' && may('lines');

  const initial = useRef(initialValues(order)).current;
  const [f, setF] = useState(initial);
  /** Quantities the user typed, by line id (untouched lines show the order's quantity). */
  const [qtys, setQtys] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState<string | null>(null);
  const [added, setAdded] = useState<DraftLine[]>([]);
  const { feedback, setFeedback, busy, submitRef, fail, run } = useFloorForm();
  const items = useItemsById(order.lines.map((l) => l.itemId));
  const movements = useMovementsOf(order.id);
  const picked = movements ? orderPicked(order, movements) : null;
  const sku = (itemId: string) => items.get(itemId)?.sku ?? '…';

  const fieldRefs = useMemo(
    () =>
      Object.fromEntries(CUSTOMER_KEYS.map((k) => [k, createRef<HTMLInputElement>()])) as Record<
        CustomerKey,
        RefObject<HTMLInputElement | null>
      >,
    [],
  );
  const qtyRefs = useRef(new Map<string, RefObject<HTMLInputElement | null>>()).current;
  const qtyRef = (lineId: string) => {
    let r = qtyRefs.get(lineId);
    if (!r) {
      r = createRef<HTMLInputElement>();
      qtyRefs.set(lineId, r);
    }
    return r;
  };
  const scanRef = useRef<HTMLInputElement>(null);
  const keepRef = useRef<HTMLButtonElement>(null);
  /** The line stays: back to its quantity. */
  const keep = (lineId: string) => {
    setConfirming(null);
    setTimeout(() => qtyRef(lineId).current?.focus());
  };
  const liveLines = order.lines.filter((l) => !removed.has(l.lineId));

  // The Enter chain: customer fields, then the quantities of the lines, then the scan field.
  const chain: RefObject<HTMLElement | null>[] = [
    ...keys.map((k) => fieldRefs[k]),
    ...(linesEditable ? [...liveLines.map((l) => qtyRef(l.lineId)), scanRef] : []),
    submitRef,
  ];
  const nextOf = (ref: RefObject<HTMLElement | null>) => chain[chain.indexOf(ref) + 1] ?? submitRef;

  const ready = lookup !== null;
  useEffect(() => {
    if (ready) chain[0]?.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- focus the first field once it renders
  }, [ready]);
  useEffect(() => {
    if (confirming !== null) keepRef.current?.focus();
  }, [confirming]);

  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (busy || confirming !== null) return;
    const missing = keys.find(
      (k) => ['customer', 'line1', 'city', 'country'].includes(k) && f[k].trim() === '',
    );
    if (missing) return fail(t('floor.outbound.edit.required'), fieldRefs[missing]);
    const patch: OrderPatch = {};
    if (keys.includes('customer') && f.customer !== initial.customer) patch.customerName = f.customer;
    if (keys.includes('phone') && f.phone !== initial.phone) patch.customerPhone = f.phone;
    if (keys.includes('email') && f.email !== initial.email) patch.customerEmail = f.email;
    if (
      keys.includes('city') &&
      (['line1', 'city', 'postalCode', 'country'] as const).some((k) => f[k] !== initial[k])
    ) {
      const before = typeof order.shipTo === 'object' && order.shipTo !== null ? order.shipTo : null;
      patch.shipTo = {
        line1: f.line1,
        line2: before?.line2 ?? null,
        city: f.city,
        postalCode: f.postalCode || null,
        country: f.country,
      };
    }
    if (linesEditable) {
      const setQty: Record<string, number> = {};
      for (const l of liveLines) {
        const typed = qtys[l.lineId];
        if (typed === undefined) continue;
        const q = parseQty(typed);
        if (q === null)
          return fail(t('floor.outbound.edit.badQty', { sku: sku(l.itemId) }), qtyRef(l.lineId));
        if (q !== l.qty) setQty[l.lineId] = q;
      }
      if (liveLines.length + added.length === 0) return fail(t('floor.outbound.edit.needOne'), scanRef);
      if (Object.keys(setQty).length > 0) patch.setQty = setQty;
      if (removed.size > 0) patch.removeLines = [...removed];
      if (added.length > 0) patch.addLines = added.map((l) => ({ itemId: l.item.id, qty: l.qty }));
    }
    if (Object.keys(patch).length === 0) return onDone(t('floor.outbound.edit.unchanged'));
    await run(async () => {
      await updateOrder(floorContext(), order.id, patch);
      sounded({ kind: 'ok', text: '' });
      setFeedback(null);
      onDone(t('floor.outbound.edit.saved', { number: order.number }));
    });
  };

  if (!lookup) return null;
  return (
    <form
      className="floor-form order-editor"
      aria-label={t('floor.outbound.edit.title', { number: order.number })}
      data-testid="order-editor"
      onSubmit={(e) => void save(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) onDone(null);
        ctrlEnterSubmits(e);
      }}
    >
      <h3>{t('floor.outbound.edit.title', { number: order.number })}</h3>
      {keys.map((k) => (
        <Field
          key={k}
          name={`order-edit-${k}`}
          label={t(LABEL_OF[k])}
          value={f[k]}
          onChange={(v) => setF((cur) => ({ ...cur, [k]: v }))}
          inputRef={fieldRefs[k]}
          next={nextOf(fieldRefs[k])}
        />
      ))}
      {!linesEditable ? (
        <p className="hint" data-testid="lines-fixed">
          {order.status === 'open' ? t('floor.outbound.edit.cannot') : t('floor.outbound.edit.linesFixed')}
        </p>
      ) : (
        <>
          <fieldset className="line-editor" data-lines="order-edit-existing">
            <legend>{t('floor.outbound.edit.existing')}</legend>
            <table className="floor-table compact">
              <thead>
                <tr>
                  <th>{t('floor.item')}</th>
                  <th className="num">{t('floor.quantity')}</th>
                  <th>
                    <span className="sr-only">{t('floor.lines.remove')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {order.lines.map((l) => {
                  const s = sku(l.itemId);
                  const got = picked?.get(l.lineId) ?? 0;
                  if (removed.has(l.lineId))
                    return (
                      <tr key={l.lineId} data-sku={s} data-removed="true">
                        <td>
                          <s>{s}</s> <span className="badge danger">{t('floor.outbound.edit.removed')}</span>
                        </td>
                        <td className="num">
                          <s>{l.qty}</s>
                        </td>
                        <td>
                          <button
                            type="button"
                            onClick={() =>
                              setRemoved((cur) => new Set([...cur].filter((id) => id !== l.lineId)))
                            }
                          >
                            {t('floor.outbound.edit.undo')}
                          </button>
                        </td>
                      </tr>
                    );
                  const ref = qtyRef(l.lineId);
                  return (
                    <tr key={l.lineId} data-sku={s}>
                      <td>
                        {s}
                        {got > 0 && (
                          <span className="hint"> {t('floor.outbound.edit.pickedHint', { count: got })}</span>
                        )}
                      </td>
                      <td className="num">
                        <input
                          ref={ref}
                          name={`order-edit-qty-${l.lineId}`}
                          aria-label={t('floor.outbound.edit.qtyOf', { sku: s })}
                          inputMode="decimal"
                          autoComplete="off"
                          size={6}
                          value={qtys[l.lineId] ?? String(l.qty)}
                          onChange={(e) => setQtys((cur) => ({ ...cur, [l.lineId]: e.target.value }))}
                          onKeyDown={enterTo(nextOf(ref))}
                        />
                      </td>
                      <td>
                        {confirming === l.lineId ? (
                          <span
                            className="confirm-inline"
                            role="group"
                            aria-label={t('floor.outbound.edit.confirmRemove', { sku: s, qty: l.qty })}
                            onKeyDown={(e) => {
                              if (e.key !== 'Escape') return;
                              e.preventDefault();
                              e.stopPropagation();
                              keep(l.lineId);
                            }}
                          >
                            <span role="alert">
                              {t('floor.outbound.edit.confirmRemove', { sku: s, qty: l.qty })}
                            </span>{' '}
                            <button ref={keepRef} type="button" onClick={() => keep(l.lineId)}>
                              {t('floor.outbound.edit.keep')}
                            </button>{' '}
                            <button
                              type="button"
                              className="danger"
                              onClick={() => {
                                setRemoved((cur) => new Set([...cur, l.lineId]));
                                setConfirming(null);
                                scanRef.current?.focus();
                              }}
                            >
                              {t('floor.outbound.edit.confirmYes')}
                            </button>
                          </span>
                        ) : (
                          <button
                            type="button"
                            aria-label={t('floor.outbound.edit.removeLine', { sku: s })}
                            onClick={() => setConfirming(l.lineId)}
                          >
                            ×
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </fieldset>
          <LineEditor
            name="order-edit-lines"
            title={t('floor.outbound.edit.addTitle')}
            lookup={lookup}
            lines={added}
            onChange={setAdded}
            scanRef={scanRef}
          />
        </>
      )}
      <div className="actions">
        <button ref={submitRef} type="submit" className="primary" disabled={busy}>
          {t('floor.outbound.edit.save')}
        </button>
        <button type="button" onClick={() => onDone(null)}>
          {t('floor.cancel')}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </form>
  );
}
