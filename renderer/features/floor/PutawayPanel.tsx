import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWriteEntity } from '../../../shared/access/policy.js';
import { useActiveTenant, useWorkspace } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { floorContext, putAway, useBalancesByItem } from '../../data/floor.js';
import type { StockRow } from '../../../shared/domain/floor.js';
import { useFloorForm } from './form.js';
import { useScanLookup } from './lookup.js';
import { FeedbackLine, parseQty, QtyField, sounded } from './parts.js';
import { ScanField } from './ScanField.js';
import type { ScanHit, ScannedItem } from './scan.js';
import { isStagingLocation } from './model.js';

/**
 * Put-away: scan the item, the bin it sits in (suggested: where it was received), its batch when
 * there is more than one, the quantity and the storage bin. Never moves more than the source holds.
 */
export function PutawayPanel({ onDone }: { onDone?: () => void }) {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const lookup = useScanLookup();
  const allowed = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'movements');

  const [itemCode, setItemCode] = useState('');
  const [item, setItem] = useState<ScannedItem | null>(null);
  const [itemHit, setItemHit] = useState<ScanHit | null>(null);
  const [from, setFrom] = useState('');
  const [fromHit, setFromHit] = useState<ScanHit | null>(null);
  const [batch, setBatch] = useState('');
  const [batchHit, setBatchHit] = useState<ScanHit | null>(null);
  const [qty, setQty] = useState('');
  const [to, setTo] = useState('');
  const [toHit, setToHit] = useState<ScanHit | null>(null);
  const { feedback, setFeedback, busy, submitRef, fail, run } = useFloorForm();
  const itemRef = useRef<HTMLInputElement>(null);
  const fromRef = useRef<HTMLInputElement>(null);
  const batchRef = useRef<HTMLInputElement>(null);
  const qtyRef = useRef<HTMLInputElement>(null);
  const toRef = useRef<HTMLInputElement>(null);

  const rows = useBalancesByItem(item ? item.id : null);
  const suggestion = suggestedSource(rows);
  // The suggested source fills in once the item's stock is known; Enter accepts it.
  useEffect(() => {
    if (suggestion && from === '') setFrom(suggestion);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the suggestion appears
  }, [suggestion]);
  const atSource = (rows ?? []).filter((r) => r.locationId === from.trim().toUpperCase() && r.quantity > 0);
  const needsBatch = atSource.length > 1 || atSource.some((r) => r.batch !== null);
  const chosen: StockRow | undefined =
    atSource.length === 1 ? atSource[0] : atSource.find((r) => (r.batch ?? '') === batch.trim());

  const reset = () => {
    setItemCode('');
    setItem(null);
    setItemHit(null);
    setFrom('');
    setFromHit(null);
    setBatch('');
    setBatchHit(null);
    setQty('');
    setTo('');
    setToHit(null);
    itemRef.current?.focus();
  };

  const submit = async (e?: SyntheticEvent) => {
    e?.preventDefault();
    if (!db || !tenantId || !item || busy) {
      if (!item) fail(t('floor.putaway.scanItemFirst'));
      return;
    }
    const q = parseQty(qty);
    if (q === null) return fail(t('floor.badQuantity'), qtyRef);
    if (!chosen) return fail(t('floor.putaway.nothingAtSource', { location: from }), fromRef);
    const target = (toHit?.kind === 'location' ? toHit.locationId : to.trim().toUpperCase()) || '';
    if (target === '' || target === chosen.locationId) return fail(t('floor.putaway.badTarget'), toRef);
    if (q > chosen.quantity) {
      return fail(t('floor.negative', { available: chosen.quantity, quantity: q }), qtyRef);
    }
    await run(async () => {
      await putAway(floorContext(), {
        itemId: item.id,
        from: chosen.locationId,
        to: target,
        batch: chosen.batch,
        qty: q,
      });
      setFeedback(
        sounded({
          kind: 'ok',
          text: t('floor.putaway.done', { quantity: q, sku: item.sku, from: chosen.locationId, to: target }),
        }),
      );
      reset();
      onDone?.();
    });
  };

  if (!lookup) return null;
  return (
    <section className="card floor-form putaway" aria-labelledby="putaway-title">
      <h3 id="putaway-title">{t('floor.putaway.title')}</h3>
      <form onSubmit={(e) => void submit(e)} onKeyDown={(e) => e.key === 'Escape' && reset()}>
        <fieldset disabled={!allowed}>
          <ScanField
            name="putaway-item"
            label={t('floor.putaway.item')}
            accept={['item']}
            lookup={lookup}
            value={itemCode}
            onChange={setItemCode}
            inputRef={itemRef}
            nextRef={fromRef}
            hit={itemHit}
            onRecognized={(h) => {
              setItemHit(h);
              if (h.kind !== 'item') return;
              setItem(h.item);
              setFrom('');
              setFromHit(null);
              setBatch('');
              setBatchHit(null);
            }}
          />
          {item && rows && (
            <SourceHint
              rows={rows}
              onPick={(r) => {
                setFrom(r.locationId);
                setBatch(r.batch ?? '');
              }}
            />
          )}
          <ScanField
            name="putaway-from"
            label={t('floor.putaway.from')}
            accept={['location']}
            lookup={lookup}
            value={from}
            onChange={setFrom}
            inputRef={fromRef}
            nextRef={needsBatch ? batchRef : qtyRef}
            hit={fromHit}
            onRecognized={(h) => {
              setFromHit(h);
              if (h.kind === 'location') setFrom(h.locationId);
            }}
            hint={suggestion ? t('floor.putaway.suggest', { location: suggestion }) : undefined}
          />
          <ScanField
            name="putaway-batch"
            label={t('floor.putaway.batch')}
            accept={['batch']}
            lookup={lookup}
            value={batch}
            onChange={setBatch}
            inputRef={batchRef}
            nextRef={qtyRef}
            hit={batchHit}
            disabled={!needsBatch}
            onRecognized={(h) => {
              setBatchHit(h);
              if (h.kind === 'batch') setBatch(h.batch);
            }}
          />
          <QtyField
            name="putaway-qty"
            value={qty}
            onChange={setQty}
            inputRef={qtyRef}
            next={toRef}
            hint={chosen ? t('floor.available', { quantity: chosen.quantity }) : undefined}
          />
          <ScanField
            name="putaway-to"
            label={t('floor.putaway.to')}
            accept={['location']}
            lookup={lookup}
            value={to}
            onChange={setTo}
            inputRef={toRef}
            nextRef={submitRef}
            hit={toHit}
            onRecognized={(h) => setToHit(h)}
          />
          <div className="actions">
            <button ref={submitRef} type="submit" className="primary big" disabled={busy}>
              {t('floor.putaway.submit')}
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

/** The bin an item is usually put away from: a receiving/staging bin holding it, else none. */
function suggestedSource(rows: readonly StockRow[] | null): string | null {
  const r = (rows ?? []).find((x) => x.quantity > 0 && isStagingLocation(x.locationId));
  return r?.locationId ?? null;
}

function SourceHint({ rows, onPick }: { rows: readonly StockRow[]; onPick: (r: StockRow) => void }) {
  const { t } = useTranslation();
  if (rows.length === 0) return <p className="hint">{t('floor.putaway.noStock')}</p>;
  return (
    <table className="floor-table compact" data-testid="putaway-stock">
      <thead>
        <tr>
          <th>{t('floor.location')}</th>
          <th>{t('floor.batch')}</th>
          <th>{t('floor.expiry')}</th>
          <th className="num">{t('floor.quantity')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.locationId}|${r.batch ?? ''}`}>
            <td>
              <button type="button" className="link" tabIndex={-1} onClick={() => onPick(r)}>
                {r.locationId}
              </button>
            </td>
            <td>{r.batch ?? '—'}</td>
            <td>{r.expiresAt ?? '—'}</td>
            <td className="num">{r.quantity}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
