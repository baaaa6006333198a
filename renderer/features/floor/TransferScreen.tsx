import { useEffect, useId, useRef, useState, type RefObject, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWriteEntity } from '../../../shared/access/policy.js';
import { floorContext, transfer, useBalancesByLocation } from '../../data/floor.js';
import { useActiveTenant, useWorkspace } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { useFloorForm } from './form.js';
import { useScanLookup } from './lookup.js';
import { ctrlEnterSubmits, FeedbackLine, Field, sounded, todayLocal } from './parts.js';
import { ScanField } from './ScanField.js';
import type { ScanHit, ScannedItem } from './scan.js';
import { useItemsById } from './stock-hooks.js';
import {
  binHoldings,
  checkQuantity,
  matchBatch,
  planTransfer,
  type Holding,
  type TransferProblem,
} from './transfer-model.js';

/**
 * Move stock (bin-to-bin transfer), by scanner and keyboard: scan the source bin, the item (the
 * bin's holdings of it show per batch with expiry; choose the batch when there are several), type
 * the quantity, scan the destination bin — Enter there writes the `transfer` movement through the
 * ledger's audited path. Never moves more than the bin holds as this PC knows it (server balance
 * plus its own unsynced movements); the ledger checks the same again before writing.
 */
export function TransferScreen() {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const lookup = useScanLookup();
  const allowed = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'movements');

  const [fromCode, setFromCode] = useState('');
  const [fromHit, setFromHit] = useState<ScanHit | null>(null);
  const [itemCode, setItemCode] = useState('');
  const [itemHit, setItemHit] = useState<ScanHit | null>(null);
  const [item, setItem] = useState<ScannedItem | null>(null);
  const [batchText, setBatchText] = useState('');
  /** The batch chosen with Enter (`''`: the unbatched stock); null while none is chosen. */
  const [picked, setPicked] = useState<string | null>(null);
  const [qty, setQty] = useState('');
  /** Why the typed quantity was refused, shown at the field (the status line may be out of view). */
  const [qtyError, setQtyError] = useState<string | null>(null);
  const [toCode, setToCode] = useState('');
  const [toHit, setToHit] = useState<ScanHit | null>(null);
  const { feedback, setFeedback, busy, submitRef, fail, run } = useFloorForm();
  const fromRef = useRef<HTMLInputElement>(null);
  const itemRef = useRef<HTMLInputElement>(null);
  const batchRef = useRef<HTMLInputElement>(null);
  const qtyRef = useRef<HTMLInputElement>(null);
  const toRef = useRef<HTMLInputElement>(null);

  const from = fromHit?.kind === 'location' ? fromHit.locationId : null;
  const binRows = useBalancesByLocation(from);
  const stocked = (binRows ?? []).filter((r) => r.quantity > 0);
  const items = useItemsById(stocked.map((r) => r.itemId));
  const holdings = item && from && binRows ? binHoldings(binRows, from, item.id) : null;
  const needsBatch = holdings !== null && holdings.length > 1;
  const chosen: Holding | null =
    holdings === null
      ? null
      : holdings.length === 1
        ? (holdings[0] ?? null)
        : picked === null
          ? null
          : matchBatch(holdings, picked);

  // After an item scan the bin's holdings of it may still be loading: move on once they are known.
  const [afterItem, setAfterItem] = useState(0);
  useEffect(() => {
    if (afterItem === 0 || holdings === null || !item || !from) return;
    setAfterItem(0);
    if (holdings.length === 0) {
      fail(t('floor.transfer.noneHere', { sku: item.sku, location: from }), itemRef);
      itemRef.current?.select();
    } else if (holdings.length > 1) {
      setBatchText(holdings[0]?.batch ?? '');
      focusSelect(batchRef);
    } else focusSelect(qtyRef);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- runs once per item scan, when loaded
  }, [afterItem, holdings === null]);

  const clearAfterItem = () => {
    setBatchText('');
    setPicked(null);
    setQty('');
    setQtyError(null);
    setToCode('');
    setToHit(null);
  };
  const reset = () => {
    setFromCode('');
    setFromHit(null);
    setItemCode('');
    setItemHit(null);
    setItem(null);
    clearAfterItem();
    fromRef.current?.focus();
  };

  const problemText = (p: TransferProblem) => t(`floor.transfer.${p.code}`, p);

  const chooseBatch = () => {
    if (!holdings) return fail(t('floor.transfer.scanFirst'), item ? itemRef : fromRef);
    const h = matchBatch(holdings, batchText);
    if (!h) {
      fail(t('floor.transfer.noBatch', { batch: batchText.trim(), location: from }), batchRef);
      batchRef.current?.select();
      return;
    }
    setPicked(h.batch ?? '');
    setBatchText(h.batch ?? '');
    focusSelect(qtyRef);
  };

  const stepBatch = (dir: 1 | -1) => {
    if (!holdings || holdings.length === 0) return;
    const i = holdings.findIndex((h) => (h.batch ?? '') === batchText.trim());
    const next = holdings[(i + dir + holdings.length) % holdings.length];
    setBatchText(next?.batch ?? '');
    setPicked(null);
  };

  const acceptQty = () => {
    if (!chosen) {
      if (needsBatch) return fail(t('floor.transfer.pickBatch'), batchRef);
      return fail(t('floor.transfer.scanFirst'), item ? itemRef : fromRef);
    }
    const q = checkQuantity(chosen, qty);
    if (!q.ok) {
      setQtyError(problemText(q.problem));
      fail(problemText(q.problem), qtyRef);
      qtyRef.current?.select();
      return;
    }
    setQtyError(null);
    setFeedback(null);
    focusSelect(toRef);
  };

  /** Write the move to `target` (a recognized location id), after checking it once more. */
  const submit = async (target: string) => {
    if (!db || !tenantId || busy) return;
    if (!item || !chosen) {
      if (needsBatch && item) return fail(t('floor.transfer.pickBatch'), batchRef);
      return fail(t('floor.transfer.scanFirst'), item ? itemRef : fromRef);
    }
    const plan = planTransfer(chosen, qty, target);
    if (!plan.ok) {
      const at = plan.problem.code === 'badQuantity' || plan.problem.code === 'tooMuch' ? qtyRef : toRef;
      if (at === qtyRef) setQtyError(problemText(plan.problem));
      fail(problemText(plan.problem), at);
      at.current?.select();
      return;
    }
    const p = plan.plan;
    await run(async () => {
      await transfer(floorContext(), p);
      setFeedback(
        sounded({
          kind: 'ok',
          text:
            p.batch === null
              ? t('floor.transfer.done', { quantity: p.qty, sku: item.sku, from: p.from, to: p.to })
              : t('floor.transfer.doneBatch', {
                  quantity: p.qty,
                  sku: item.sku,
                  batch: p.batch,
                  from: p.from,
                  to: p.to,
                }),
        }),
      );
      reset();
    });
  };

  /** The form's submit (the button, Ctrl+Enter): the destination as scanned, else looked up now. */
  const submitForm = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (!lookup) return;
    const typed = toCode.trim();
    if (typed === '') return fail(t('floor.transfer.noTarget'), toRef);
    if (toHit?.kind === 'location' && (toHit.code === typed || toHit.locationId === typed.toUpperCase()))
      return submit(toHit.locationId);
    const loc = await lookup.location(typed);
    if (!loc) return fail(t('floor.transfer.unknownTarget', { code: typed }), toRef);
    return submit(loc.locationId);
  };

  if (!lookup) return <p className="state">{t('app.loading')}</p>;
  const today = todayLocal();
  const shown = holdings ?? (item ? [] : stocked);
  return (
    <section
      className="card floor-screen floor-form transfer"
      aria-labelledby="transfer-title"
      data-testid="transfer-screen"
    >
      <h2 id="transfer-title">{t('floor.transfer.title')}</h2>
      <p className="hint">{t('floor.transfer.intro')}</p>
      <form
        aria-label={t('floor.transfer.title')}
        onSubmit={(e) => void submitForm(e)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') reset();
          else ctrlEnterSubmits(e);
        }}
      >
        <fieldset disabled={!allowed}>
          <ScanField
            name="transfer-from"
            label={t('floor.transfer.from')}
            accept={['location']}
            lookup={lookup}
            value={fromCode}
            onChange={setFromCode}
            inputRef={fromRef}
            hit={fromHit}
            autoFocus
            onRecognized={(h) => {
              setFromHit(h);
              if (h.kind === 'location') setFromCode(h.locationId);
              setItemCode('');
              setItemHit(null);
              setItem(null);
              clearAfterItem();
              setFeedback(null);
              // The item field is enabled by this very update: focus it once rendered.
              focusSelect(itemRef);
            }}
          />
          <ScanField
            name="transfer-item"
            label={t('floor.transfer.item')}
            accept={['item']}
            lookup={lookup}
            value={itemCode}
            onChange={setItemCode}
            inputRef={itemRef}
            hit={itemHit}
            disabled={from === null}
            onRecognized={(h) => {
              setItemHit(h);
              if (h.kind !== 'item') return;
              setItem(h.item);
              clearAfterItem();
              setFeedback(null);
              setAfterItem((n) => n + 1);
            }}
          />
          {from !== null && (
            <Holdings
              location={from}
              rows={shown}
              loading={binRows === null}
              skuOf={(id) => items.get(id)?.sku ?? (item?.id === id ? item.sku : '…')}
              chosen={chosen}
              today={today}
              itemPicked={item !== null}
              onPick={(h) => {
                setPicked(h.batch ?? '');
                setBatchText(h.batch ?? '');
                focusSelect(qtyRef);
              }}
            />
          )}
          <BatchField
            label={t('floor.transfer.batch')}
            value={batchText}
            onChange={(v) => {
              setBatchText(v);
              setPicked(null);
            }}
            inputRef={batchRef}
            disabled={!needsBatch}
            hint={needsBatch ? t('floor.transfer.batchHint', { count: holdings.length }) : undefined}
            onEnter={chooseBatch}
            onStep={stepBatch}
          />
          <Field
            name="transfer-qty"
            label={t('floor.quantity')}
            inputMode="decimal"
            value={qty}
            onChange={(v) => {
              setQty(v);
              setQtyError(null);
            }}
            inputRef={qtyRef}
            error={qtyError}
            disabled={chosen === null}
            onEnter={acceptQty}
            hint={chosen ? t('floor.available', { quantity: chosen.quantity }) : undefined}
          />
          <ScanField
            name="transfer-to"
            label={t('floor.transfer.to')}
            accept={['location']}
            lookup={lookup}
            value={toCode}
            onChange={(v) => {
              setToCode(v);
              setToHit(null);
            }}
            inputRef={toRef}
            hit={toHit}
            disabled={chosen === null}
            onRecognized={(h) => {
              setToHit(h);
              if (h.kind === 'location') void submit(h.locationId);
            }}
          />
          <div className="actions">
            <button ref={submitRef} type="submit" className="primary big" disabled={busy}>
              {t('floor.transfer.submit')}
            </button>
            <button type="button" onClick={reset}>
              {t('floor.cancel')}
            </button>
          </div>
        </fieldset>
        {!allowed && <p className="hint">{t('floor.notAllowed')}</p>}
        <FeedbackLine feedback={feedback} />
      </form>
    </section>
  );
}

function focusSelect(ref: RefObject<HTMLInputElement | null>) {
  // The field may have been enabled by the same update: focus once React has rendered it.
  requestAnimationFrame(() => {
    ref.current?.focus();
    ref.current?.select();
  });
}

/** What the source bin holds (all of it, or of the scanned item per batch), with expiry. */
function Holdings(props: {
  location: string;
  rows: readonly Holding[];
  loading: boolean;
  itemPicked: boolean;
  skuOf: (itemId: string) => string;
  chosen: Holding | null;
  today: string;
  onPick: (h: Holding) => void;
}) {
  const { t } = useTranslation();
  if (props.loading) return <p className="state">{t('app.loading')}</p>;
  if (props.rows.length === 0) {
    // An item the bin does not hold is said in the status line (with a sound), not twice.
    if (props.itemPicked) return null;
    return (
      <p className="state" data-testid="transfer-empty">
        {t('floor.transfer.binEmpty', { location: props.location })}
      </p>
    );
  }
  const isChosen = (r: Holding) =>
    props.chosen !== null && r.itemId === props.chosen.itemId && r.batch === props.chosen.batch;
  return (
    <table className="floor-table compact" data-testid="transfer-holdings">
      <caption>{t('floor.transfer.holds', { location: props.location })}</caption>
      <thead>
        <tr>
          <th>{t('floor.item')}</th>
          <th>{t('floor.batch')}</th>
          <th>{t('floor.expiry')}</th>
          <th className="num">{t('floor.quantity')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => {
          const sku = props.skuOf(r.itemId);
          const expired = r.expiresAt != null && r.expiresAt < props.today;
          return (
            <tr
              key={`${r.itemId}|${r.batch ?? ''}`}
              data-sku={sku}
              data-batch={r.batch ?? ''}
              data-chosen={isChosen(r) || undefined}
              className={isChosen(r) ? 'diff' : expired ? 'expired' : undefined}
            >
              <td>{sku}</td>
              <td>
                {props.itemPicked ? (
                  <button type="button" className="link" tabIndex={-1} onClick={() => props.onPick(r)}>
                    {r.batch ?? '—'}
                  </button>
                ) : (
                  (r.batch ?? '—')
                )}
                {isChosen(r) && <span className="badge"> {t('floor.transfer.chosen')}</span>}
              </td>
              <td>{r.expiresAt ?? '—'}</td>
              <td className="num">{r.quantity}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The batch choice: scan or type it, ↑/↓ step through the bin's batches, Enter accepts. */
function BatchField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  inputRef: RefObject<HTMLInputElement | null>;
  disabled: boolean;
  hint?: string;
  onEnter: () => void;
  onStep: (dir: 1 | -1) => void;
}) {
  const id = useId();
  return (
    <div className="floor-field" data-scan="transfer-batch">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        ref={props.inputRef}
        name="transfer-batch"
        autoComplete="off"
        spellCheck={false}
        value={props.value}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            props.onStep(e.key === 'ArrowDown' ? 1 : -1);
          } else if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
            e.preventDefault();
            props.onEnter();
          }
        }}
      />
      {props.hint ? (
        <span id={`${id}-hint`} className="hint">
          {props.hint}
        </span>
      ) : null}
    </div>
  );
}
