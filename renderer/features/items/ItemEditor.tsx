import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWriteEntity, MASKED } from '../../../shared/access/policy.js';
import type { ItemDoc } from '../../../shared/domain/schemas.js';
import { currentActor, useWorkspace } from '../../data/workspace.js';
import { deleteItem, patchItem } from '../../data/writes.js';
import { requestConfirmation } from '../../state/confirm.js';
import { usePrincipal } from '../../state/session.js';
import {
  checkFloorDraft,
  FLOOR_ITEM_FIELDS,
  floorDraftPatch,
  floorFieldModes,
  toFloorDraft,
  type FloorDraft,
} from './floor-fields.js';
import { StockPanel } from './StockPanel.js';
import { checkDraft, draftPatch, fieldModes, ITEM_FIELDS, type ItemDraft, type ItemField } from './model.js';

const toDraft = (i: ItemDoc): ItemDraft => ({
  sku: i.sku,
  name: i.name,
  barcode: i.barcode ?? '',
  uom: i.uom,
  purchasePrice: i.purchasePrice === null || i.purchasePrice === undefined ? '' : String(i.purchasePrice),
});

/**
 * Item details as a dialog. Which fields show, which are read-only and whether Save is possible
 * all come from the shared policy; the server checks the same rules again on push.
 */
export function ItemEditor({ itemId, onClose }: { itemId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const tenantId = useWorkspace((s) => s.tenantId);
  const [item, setItem] = useState<ItemDoc | null>(null);
  const [draft, setDraft] = useState<ItemDraft | null>(null);
  const [floorDraft, setFloorDraft] = useState<FloorDraft | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    if (!db) return;
    const sub = db.items.findOne(itemId).$.subscribe((d) => {
      const doc = d ? (d.toJSON() as ItemDoc) : null;
      setItem(doc);
      setDraft((cur) => cur ?? (doc ? toDraft(doc) : null));
      setFloorDraft((cur) => cur ?? (doc ? toFloorDraft(doc) : null));
    });
    return () => sub.unsubscribe();
  }, [db, itemId]);

  const loaded = item !== null && draft !== null;
  useEffect(() => {
    // The dialog element exists only once the item has loaded.
    const d = dialog.current;
    if (loaded && d && !d.open) d.showModal();
  }, [loaded]);

  const principal = usePrincipal();
  const modes = principal && tenantId ? fieldModes(principal, tenantId) : null;
  const canEdit = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'items');
  const floorModes = principal && tenantId ? floorFieldModes(principal, tenantId) : null;
  if (!item || !draft || !modes || !floorDraft || !floorModes) return null;
  const errors = { ...checkDraft(draft, modes), ...checkFloorDraft(floorDraft, floorModes) };
  const patch = {
    ...draftPatch(toDraft(item), draft, modes),
    ...floorDraftPatch(toFloorDraft(item), floorDraft, floorModes),
  };
  const changed = Object.keys(patch).length > 0;
  const saveReason = !canEdit ? t('items.cannotEdit') : !changed ? t('items.noChanges') : undefined;

  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (!db || !changed || Object.keys(errors).length > 0) return;
    try {
      await patchItem(db, currentActor(), itemId, patch);
      setMessage({ kind: 'ok', text: t('items.saved') });
    } catch (err) {
      setMessage({
        kind: 'error',
        text: t('items.failed', { message: err instanceof Error ? err.message : String(err) }),
      });
    }
  };

  const remove = async () => {
    if (!db || !tenantId) return;
    const confirmation = await requestConfirmation({
      kind: 'delete',
      subject: `${item.sku} — ${item.name}`,
      identifying: item.sku,
      needsCosign: false,
      tenantId,
      entity: 'items',
      entityId: item.id,
      action: 'delete',
    });
    if (!confirmation) return;
    try {
      await deleteItem(db, currentActor(), item.id, { reason: confirmation.reason, confirmation });
      dialog.current?.close();
    } catch (err) {
      setMessage({
        kind: 'error',
        text: t('items.failed', { message: err instanceof Error ? err.message : String(err) }),
      });
    }
  };

  const field = (f: ItemField) => {
    const mode = modes[f];
    if (mode === 'hidden') return null;
    const hint =
      mode === 'readonly' ? t('items.readOnly') : mode === 'masked' ? t('items.masked') : undefined;
    return (
      <label key={f} title={hint}>
        {t(`items.${f}`)}
        <input
          name={f}
          value={mode === 'masked' ? MASKED : draft[f]}
          readOnly={mode !== 'editable'}
          aria-readonly={mode !== 'editable'}
          aria-invalid={errors[f] ? true : undefined}
          inputMode={f === 'purchasePrice' ? 'decimal' : undefined}
          onChange={(e) => setDraft({ ...draft, [f]: e.target.value })}
        />
        {mode !== 'editable' && <span className="hint">{hint}</span>}
        {errors[f] && <span className="error">{t(errors[f])}</span>}
      </label>
    );
  };

  const floorField = ({ field, kind }: (typeof FLOOR_ITEM_FIELDS)[number]) => {
    const mode = floorModes[field];
    if (mode === 'hidden' || mode === 'masked') return null;
    const hint = mode === 'readonly' ? t('items.readOnly') : undefined;
    const error = errors[field];
    if (kind === 'flag') {
      return (
        <label key={field} className="checkbox" title={hint}>
          <input
            type="checkbox"
            name={field}
            checked={floorDraft[field]}
            disabled={mode !== 'editable'}
            onChange={(e) => setFloorDraft({ ...floorDraft, [field]: e.target.checked })}
          />
          {t(`items.${field}`)}
        </label>
      );
    }
    return (
      <label key={field} title={hint}>
        {t(`items.${field}`)}
        <input
          name={field}
          value={floorDraft[field]}
          readOnly={mode !== 'editable'}
          aria-readonly={mode !== 'editable'}
          aria-invalid={error ? true : undefined}
          inputMode={kind === 'number' ? 'decimal' : undefined}
          onChange={(e) => setFloorDraft({ ...floorDraft, [field]: e.target.value })}
        />
        {error && <span className="error">{t(error)}</span>}
      </label>
    );
  };

  return (
    <dialog ref={dialog} className="item-editor card" aria-labelledby="item-editor-title" onClose={onClose}>
      <form onSubmit={(e) => void save(e)}>
        <h2 id="item-editor-title">{t('items.edit', { sku: item.sku })}</h2>
        {ITEM_FIELDS.map(field)}
        <fieldset className="item-handling">
          <legend>{t('items.handling')}</legend>
          {FLOOR_ITEM_FIELDS.map(floorField)}
        </fieldset>
        <div className="actions">
          <span title={saveReason}>
            <button
              type="submit"
              className="primary"
              disabled={saveReason !== undefined || Object.keys(errors).length > 0}
            >
              {t('items.save')}
            </button>
          </span>
          <button type="button" onClick={() => dialog.current?.close()}>
            {t('items.cancel')}
          </button>
          <span title={canEdit ? undefined : t('items.cannotEdit')}>
            <button type="button" className="danger" disabled={!canEdit} onClick={() => void remove()}>
              {t('items.delete')}
            </button>
          </span>
        </div>
        {saveReason && !changed && canEdit ? null : saveReason && <p className="hint">{saveReason}</p>}
        {message && (
          <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind}>
            {message.text}
          </p>
        )}
      </form>
      {/* Outside the form: the panel has forms of its own, and forms do not nest. */}
      <StockPanel item={item} />
    </dialog>
  );
}
