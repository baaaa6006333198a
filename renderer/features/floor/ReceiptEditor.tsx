import { useMemo, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWrite } from '../../../shared/access/policy.js';
import { receiptProgress, type ReceiptDoc } from '../../../shared/domain/floor.js';
import { floorContext, updateReceipt, useMovementsOf, type ReceiptPatch } from '../../data/floor.js';
import { useActiveTenant } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { EditorShell, HeaderFields, LinesEditor, useDocEditor } from './DocEditor.js';
import { useItemsById } from './stock-hooks.js';

type HeaderKey = 'reference' | 'supplier' | 'expectedAt';
const HEADER_KEYS: readonly HeaderKey[] = ['reference', 'supplier', 'expectedAt'];
const LABEL_OF: Record<HeaderKey, string> = {
  reference: 'floor.receiving.reference',
  supplier: 'floor.receiving.supplier',
  expectedAt: 'floor.receiving.edit.expectedAt',
};

/**
 * Edit an inbound notice after it was created (issue #5): reference, supplier and expected day
 * (read-only where the field policy does not let the role write them) and its expected lines —
 * quantities, removal (confirmed on the line) and new lines by scanner; a notice left without lines
 * is received blind. Enter moves on, Ctrl+Enter saves, Esc cancels. The edit is sent as changes
 * against what the form showed, so a line another PC added meanwhile survives; what is already
 * received is shown per line, and `updateReceipt` refuses to expect less than that. Writes locally
 * (offline too); syncs later.
 */
export function ReceiptEditor({
  receipt,
  onDone,
}: {
  receipt: ReceiptDoc;
  onDone: (message: string | null) => void;
}) {
  const { t } = useTranslation();
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const may = (field: string) =>
    principal !== null && tenantId !== null && canWrite(principal, tenantId, 'receipts', field);
  const writable = HEADER_KEYS.filter((k) => may(k));
  const linesEditable = may('lines');
  // The shared line editor calls a line's expected quantity its `qty`.
  const lines = useMemo(
    () => receipt.lines.map((l) => ({ lineId: l.lineId, itemId: l.itemId, qty: l.expectedQty })),
    [receipt.lines],
  );
  const editor = useDocEditor({
    fields: HEADER_KEYS,
    writable,
    initial: {
      reference: receipt.reference,
      supplier: receipt.supplier ?? '',
      expectedAt: receipt.expectedAt ?? '',
    },
    lines,
    linesEditable,
  });
  const { lookup, edits, initial, values: f, fieldRefs, busy, fail } = editor;
  const items = useItemsById(receipt.lines.map((l) => l.itemId));
  const movements = useMovementsOf(receipt.id);
  const received = useMemo(() => {
    const progress = movements ? receiptProgress(receipt, movements) : null;
    return new Map(progress?.lines.map((l) => [l.lineId, l.received]) ?? []);
  }, [receipt, movements]);
  const sku = (itemId: string) => items.get(itemId)?.sku ?? '…';

  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (busy || edits.confirming !== null) return;
    if (writable.includes('reference') && f.reference.trim() === '')
      return fail(t('floor.receiving.needReference'), fieldRefs.reference);
    const day = f.expectedAt.trim();
    if (writable.includes('expectedAt') && day !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(day))
      return fail(t('floor.receiving.edit.badDate'), fieldRefs.expectedAt);
    const patch: ReceiptPatch = {};
    for (const k of writable) if (f[k].trim() !== initial[k].trim()) patch[k] = f[k];
    if (linesEditable) {
      const changed = edits.changes();
      if (changed.bad)
        return fail(
          t('floor.receiving.edit.badQty', { sku: sku(changed.bad.itemId) }),
          edits.qtyRef(changed.bad.lineId),
        );
      const { addLines, ...rest } = changed.changes;
      Object.assign(patch, rest);
      if (addLines) patch.addLines = addLines.map((l) => ({ itemId: l.itemId, expectedQty: l.qty }));
    }
    await editor.commit(
      Object.keys(patch).length === 0,
      async () => {
        const next = await updateReceipt(floorContext(), receipt.id, patch);
        return t('floor.receiving.edit.saved', { reference: next.reference });
      },
      t('floor.receiving.edit.unchanged'),
      onDone,
    );
  };

  if (!lookup) return null;
  return (
    <EditorShell
      testId="receipt-editor"
      className="receipt-editor"
      title={t('floor.receiving.edit.title', { reference: receipt.reference })}
      strings="floor.receiving.edit"
      editor={editor}
      onSubmit={(e) => void save(e)}
      onCancel={() => onDone(null)}
    >
      <HeaderFields
        name="receipt-edit"
        editor={editor}
        fields={HEADER_KEYS}
        writable={writable}
        label={(k) => t(LABEL_OF[k])}
        readOnly={t('floor.receiving.edit.readOnly')}
        inputMode={(k) => (k === 'expectedAt' ? 'numeric' : undefined)}
      />
      {linesEditable ? (
        <LinesEditor
          name="receipt-edit"
          strings="floor.receiving.edit"
          lines={lines}
          editor={editor}
          lookup={lookup}
          sku={sku}
          note={(l) => {
            const got = received.get(l.lineId) ?? 0;
            return got > 0 ? t('floor.receiving.edit.receivedHint', { count: got }) : null;
          }}
        />
      ) : (
        <p className="hint" data-testid="lines-fixed">
          {t('floor.receiving.edit.readOnly')}
        </p>
      )}
    </EditorShell>
  );
}
