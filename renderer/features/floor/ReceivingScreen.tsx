import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWriteEntity } from '../../../shared/access/policy.js';
import { receiptProgress, type ReceiptDoc } from '../../../shared/domain/floor.js';
import {
  cancelReceipt,
  closeReceipt,
  createReceipt,
  floorContext,
  receiveLine,
  useMovementsOf,
  useReceipts,
} from '../../data/floor.js';
import { useActiveTenant } from '../../data/workspace.js';
import { requestConfirmation } from '../../state/confirm.js';
import { usePrincipal } from '../../state/session.js';
import { useSyncStatus } from '../../state/sync.js';
import { DocPickList } from './DocPickList.js';
import { floorErrorText } from './errors.js';
import { LineEditor, type DraftLine } from './LineEditor.js';
import { useFloorForm } from './form.js';
import { useScanLookup } from './lookup.js';
import {
  ctrlEnterSubmits,
  Field,
  FeedbackLine,
  parseQty,
  QtyField,
  ScanLineForm,
  sounded,
  type Feedback,
  type FieldProps,
} from './parts.js';
import { PutawayPanel } from './PutawayPanel.js';
import { ReceiptEditor } from './ReceiptEditor.js';
import { ScanField } from './ScanField.js';
import type { ScanHit, ScannedItem } from './scan.js';
import { useItemsById } from './stock-hooks.js';

/** Default dock where received goods are put down. */
const DOCK = 'RCV-01';

/**
 * Receiving: the open inbound notices (ASN) → receive against one (expected/received per line,
 * over and short visible) or a blind receipt, capturing batch and expiry where the item tracks
 * them; then put the goods away to a bin.
 */
export function ReceivingScreen() {
  const { t } = useTranslation();
  const receipts = useReceipts(['open', 'receiving']);
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const allowed = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'receipts');
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState<'notice' | 'blind' | null>(null);
  const [notice, setNotice] = useState<Feedback>(null);
  const current = receipts?.find((r) => r.id === selected) ?? null;

  return (
    <div className="floor-columns receiving">
      <section className="card floor-screen" aria-labelledby="receipts-title" data-testid="receipts">
        <h2 id="receipts-title">{t('floor.receiving.title')}</h2>
        <div className="actions">
          <button type="button" disabled={!allowed} onClick={() => setCreating('notice')}>
            {t('floor.receiving.newNotice')}
          </button>
          <button type="button" disabled={!allowed} onClick={() => setCreating('blind')}>
            {t('floor.receiving.blind')}
          </button>
        </div>
        {creating && (
          <NewReceipt
            blind={creating === 'blind'}
            onDone={(id) => {
              setCreating(null);
              if (id) setSelected(id);
            }}
          />
        )}
        <DocPickList
          docs={receipts}
          selected={selected}
          onSelect={setSelected}
          label={t('floor.receiving.open')}
          empty={t('floor.receiving.none')}
          dataName="data-reference"
          code={(r) => r.reference}
          party={(r) => r.supplier ?? ''}
          hint={(r) => (
            <>
              {r.lines.length === 0
                ? t('floor.receiving.blindTag')
                : t('floor.receiving.lineCount', { count: r.lines.length })}{' '}
              · {t(`floor.receiving.status.${r.status}`)}
            </>
          )}
        />
        <FeedbackLine feedback={notice} />
      </section>
      {current ? (
        <ReceiptPanel
          key={current.id}
          receipt={current}
          onClosed={(message) => {
            // Only if it is still the one shown: the list drops a finished document before its
            // write's promise settles, and the operator may have opened the next one meanwhile.
            const gone = current.id;
            setSelected((s) => (s === gone ? null : s));
            setNotice({ kind: 'ok', text: message });
          }}
        />
      ) : (
        <section className="card floor-screen">
          <p className="state">{t('floor.receiving.pick')}</p>
        </section>
      )}
      <PutawayPanel />
    </div>
  );
}

/** A new inbound notice with lines (by scanner), or a blind receipt (reference only). */
function NewReceipt({ blind, onDone }: { blind: boolean; onDone: (id: string | null) => void }) {
  const { t } = useTranslation();
  const lookup = useScanLookup();
  const [reference, setReference] = useState('');
  const [supplier, setSupplier] = useState('');
  const [lines, setLines] = useState<DraftLine[]>([]);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const refRef = useRef<HTMLInputElement>(null);
  const supplierRef = useRef<HTMLInputElement>(null);
  const scanRef = useRef<HTMLInputElement>(null);
  useEffect(() => refRef.current?.focus(), []);

  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (reference.trim() === '') {
      setFeedback(sounded({ kind: 'error', text: t('floor.receiving.needReference') }));
      return refRef.current?.focus();
    }
    if (!blind && lines.length === 0) {
      setFeedback(sounded({ kind: 'error', text: t('floor.lines.needOne') }));
      return scanRef.current?.focus();
    }
    try {
      const doc = await createReceipt(floorContext(), {
        reference,
        supplier: supplier.trim() || null,
        lines: blind ? [] : lines.map((l) => ({ itemId: l.item.id, expectedQty: l.qty })),
      });
      sounded({ kind: 'ok', text: '' });
      onDone(doc.id);
    } catch (err) {
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };

  if (!lookup) return null;
  return (
    <form
      className="floor-form new-receipt"
      aria-label={blind ? t('floor.receiving.blind') : t('floor.receiving.newNotice')}
      onSubmit={(e) => void save(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onDone(null);
        ctrlEnterSubmits(e);
      }}
    >
      <Field
        name="receipt-reference"
        label={t('floor.receiving.reference')}
        value={reference}
        onChange={setReference}
        inputRef={refRef}
        next={supplierRef}
      />
      <Field
        name="receipt-supplier"
        label={t('floor.receiving.supplier')}
        value={supplier}
        onChange={setSupplier}
        inputRef={supplierRef}
        next={blind ? undefined : scanRef}
        onEnter={blind ? () => refRef.current?.form?.requestSubmit() : undefined}
      />
      {!blind && (
        <LineEditor
          name="receipt-lines"
          lookup={lookup}
          lines={lines}
          onChange={setLines}
          scanRef={scanRef}
        />
      )}
      <div className="actions">
        <button type="submit" className="primary">
          {blind ? t('floor.receiving.startBlind') : t('floor.receiving.saveNotice')}
        </button>
        <button type="button" onClick={() => onDone(null)}>
          {t('floor.cancel')}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </form>
  );
}

/** One receipt: its lines with progress, the receive form, edit, close and cancel. */
function ReceiptPanel({ receipt, onClosed }: { receipt: ReceiptDoc; onClosed: (message: string) => void }) {
  const { t } = useTranslation();
  const movements = useMovementsOf(receipt.id);
  const progress = movements ? receiptProgress(receipt, movements) : null;
  const ids = [...receipt.lines.map((l) => l.itemId), ...(progress?.unexpected.map((u) => u.itemId) ?? [])];
  const items = useItemsById(ids);
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  // A notice is edited while it is open or receiving, by a role that may write notices (the field
  // policy governs notices as a whole; the editor shows any field it may not write read-only).
  const mayEdit =
    principal !== null &&
    tenantId !== null &&
    canWriteEntity(principal, tenantId, 'receipts') &&
    (receipt.status === 'open' || receipt.status === 'receiving');
  const [editing, setEditing] = useState(false);
  const editRef = useRef<HTMLButtonElement>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const sku = (id: string) => items.get(id)?.sku ?? '…';

  const close = async () => {
    try {
      await closeReceipt(floorContext(), receipt.id);
      const text = t('floor.receiving.closed', { reference: receipt.reference });
      sounded({ kind: 'ok', text });
      onClosed(text);
    } catch (err) {
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };
  const cancel = async () => {
    const ctx = floorContext();
    const confirmation = await requestConfirmation({
      kind: 'cancel',
      subject: t('floor.receiving.cancelSubject', { reference: receipt.reference }),
      identifying: receipt.reference,
      needsCosign: false,
      tenantId: ctx.tenantId,
      entity: 'receipts',
      entityId: receipt.id,
      action: 'update',
    });
    if (!confirmation) return;
    try {
      await cancelReceipt(ctx, receipt.id, confirmation);
      const text = t('floor.receiving.cancelled', { reference: receipt.reference });
      sounded({ kind: 'ok', text });
      onClosed(text);
    } catch (err) {
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };

  return (
    <section
      className="card floor-screen receipt"
      aria-labelledby="receipt-title"
      data-testid="receipt-panel"
    >
      <h2 id="receipt-title">
        {receipt.reference}{' '}
        <span className="hint">
          {receipt.supplier ?? ''} · {t(`floor.receiving.status.${receipt.status}`)}
        </span>
      </h2>
      {editing ? (
        <ReceiptEditor
          receipt={receipt}
          onDone={(message) => {
            setEditing(false);
            if (message) setFeedback({ kind: 'ok', text: message });
            setTimeout(() => editRef.current?.focus());
          }}
        />
      ) : progress === null ? (
        <p className="state">{t('app.loading')}</p>
      ) : (
        <table className="floor-table" data-testid="receipt-lines">
          <thead>
            <tr>
              <th>{t('floor.item')}</th>
              <th className="num">{t('floor.receiving.expected')}</th>
              <th className="num">{t('floor.receiving.received')}</th>
              <th>{t('floor.receiving.state')}</th>
            </tr>
          </thead>
          <tbody>
            {progress.lines.map((l) => (
              <tr key={l.lineId} data-sku={sku(l.itemId)} data-state={l.state}>
                <td>{sku(l.itemId)}</td>
                <td className="num">{l.expected}</td>
                <td className="num" data-testid="received">
                  {l.received}
                </td>
                <td>
                  {l.over > 0 ? (
                    <span className="badge warn">{t('floor.receiving.over', { count: l.over })}</span>
                  ) : l.short > 0 ? (
                    <span className="badge">{t('floor.receiving.short', { count: l.short })}</span>
                  ) : (
                    <span className="badge ok">{t('floor.receiving.complete')}</span>
                  )}
                </td>
              </tr>
            ))}
            {progress.unexpected.map((u) => (
              <tr key={`u-${u.itemId}`} data-sku={sku(u.itemId)} data-state="unexpected">
                <td>{sku(u.itemId)}</td>
                <td className="num">—</td>
                <td className="num" data-testid="received">
                  {u.received}
                </td>
                <td>
                  <span className="badge warn">{t('floor.receiving.unexpected')}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!editing && progress && (
        <p className="hint" data-testid="receipt-summary">
          {t('floor.receiving.summary', {
            received: progress.receivedTotal,
            expected: progress.expectedTotal,
          })}
        </p>
      )}
      {!editing && <ReceiveForm receiptId={receipt.id} />}
      <div className="actions" hidden={editing}>
        <button
          ref={editRef}
          type="button"
          title={mayEdit ? undefined : t('floor.receiving.edit.cannot')}
          disabled={!mayEdit}
          onClick={() => setEditing(true)}
        >
          {t('floor.receiving.edit.open')}
        </button>
        <button type="button" onClick={() => void close()}>
          {t('floor.receiving.close')}
        </button>
        <button type="button" className="danger" onClick={() => void cancel()}>
          {t('floor.receiving.cancelReceipt')}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </section>
  );
}

/**
 * Receive one quantity: item⏎ (batch⏎) (expiry⏎) quantity⏎ dock⏎ ⏎. Batch and expiry fields
 * open only for items that track them, and are then required.
 */
function ReceiveForm({ receiptId }: { receiptId: string }) {
  const { t } = useTranslation();
  const lookup = useScanLookup();
  const online = useSyncStatus((s) => s.online);
  const [code, setCode] = useState('');
  const [hit, setHit] = useState<ScanHit | null>(null);
  const [batch, setBatch] = useState('');
  const [expiry, setExpiry] = useState('');
  const [qty, setQty] = useState('');
  const [dock, setDock] = useState(DOCK);
  const [dockHit, setDockHit] = useState<ScanHit | null>(null);
  const { feedback, setFeedback, busy, submitRef, fail, run } = useFloorForm();
  const itemRef = useRef<HTMLInputElement>(null);
  const batchRef = useRef<HTMLInputElement>(null);
  const expiryRef = useRef<HTMLInputElement>(null);
  const qtyRef = useRef<HTMLInputElement>(null);
  const dockRef = useRef<HTMLInputElement>(null);
  const item: ScannedItem | null = hit?.kind === 'item' ? hit.item : null;
  const needsBatch = item?.batchTracked === true;
  const needsExpiry = item?.expiryTracked === true;

  /** Clears the line (the dock stays) and goes back to the item. */
  const startOver = () => {
    setCode('');
    setHit(null);
    setBatch('');
    setExpiry('');
    setQty('');
    itemRef.current?.focus();
  };

  const submit = async (e?: SyntheticEvent) => {
    e?.preventDefault();
    if (busy) return;
    if (!item) return fail(t('floor.putaway.scanItemFirst'), itemRef);
    const q = parseQty(qty);
    if (q === null) return fail(t('floor.badQuantity'), qtyRef);
    const exp = expiry.trim();
    if (exp !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(exp))
      return fail(t('floor.receiving.badExpiry'), expiryRef);
    const location = dockHit?.kind === 'location' ? dockHit.locationId : dock.trim().toUpperCase();
    await run(async () => {
      await receiveLine(floorContext(), {
        receiptId,
        itemId: item.id,
        qty: q,
        batch: needsBatch || batch.trim() !== '' ? batch.trim() || null : null,
        expiresAt: needsExpiry || exp !== '' ? exp || null : null,
        locationId: location,
      });
      const args = { quantity: q, sku: item.sku, location };
      setFeedback(
        sounded({
          kind: 'ok',
          text: `${t('floor.receiving.done', args)} ${online ? t('floor.online') : t('floor.offline')}`,
        }),
      );
      startOver();
    });
  };

  if (!lookup) return null;
  return (
    <ScanLineForm
      className="floor-form receive-line"
      label={t('floor.receiving.receive')}
      submitLabel={t('floor.receiving.submit')}
      onSubmit={(e) => void submit(e)}
      onEscape={startOver}
      submitRef={submitRef}
      busy={busy}
      feedback={feedback}
    >
      <ScanField
        name="receive-item"
        label={t('floor.receiving.item')}
        accept={['item']}
        lookup={lookup}
        value={code}
        onChange={setCode}
        inputRef={itemRef}
        autoFocus
        hit={hit}
        onRecognized={(h) => {
          setHit(h);
          // Focus goes to the first field the item needs.
          const it = h.kind === 'item' ? h.item : null;
          setTimeout(() => {
            const next = it?.batchTracked ? batchRef : it?.expiryTracked ? expiryRef : qtyRef;
            next.current?.focus();
            next.current?.select();
          });
        }}
      />
      <TrackedField
        name="receive-batch"
        label={t('floor.batch')}
        value={batch}
        onChange={setBatch}
        inputRef={batchRef}
        next={needsExpiry ? expiryRef : qtyRef}
        needed={needsBatch}
        hint={t('floor.receiving.required')}
      />
      <TrackedField
        name="receive-expiry"
        label={t('floor.receiving.expiry')}
        value={expiry}
        onChange={setExpiry}
        inputRef={expiryRef}
        next={qtyRef}
        needed={needsExpiry}
        hint={t('floor.receiving.expiryHint')}
      />
      <QtyField name="receive-qty" value={qty} onChange={setQty} inputRef={qtyRef} next={dockRef} />
      <ScanField
        name="receive-dock"
        label={t('floor.receiving.dock')}
        accept={['location']}
        lookup={lookup}
        value={dock}
        onChange={setDock}
        inputRef={dockRef}
        nextRef={submitRef}
        hit={dockHit}
        onRecognized={setDockHit}
      />
    </ScanLineForm>
  );
}

/** A batch or expiry field: open (and then required, with `hint`) only for items that track it. */
function TrackedField({
  needed,
  hint,
  ...field
}: Omit<FieldProps, 'disabled' | 'hint'> & { needed: boolean; hint: string }) {
  return <Field {...field} disabled={!needed} hint={needed ? hint : undefined} />;
}
