import { useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { useFloorForm } from './form.js';
import { FeedbackLine, parseQty, QtyField } from './parts.js';
import { ScanField } from './ScanField.js';
import type { ScanHit, ScanLookup, ScannedItem } from './scan.js';

/** A line being drafted for a notice or an order. */
export type DraftLine = { item: ScannedItem; qty: number };

/**
 * Lines of a new notice or order by scanner: scan the item, type the quantity, Enter adds the line
 * and returns to the scan field for the next one; Tab leaves for the rest of the form.
 */
export function LineEditor(props: {
  name: string;
  lookup: ScanLookup;
  lines: DraftLine[];
  onChange: (lines: DraftLine[]) => void;
  scanRef?: RefObject<HTMLInputElement | null>;
  /** The legend (default: "Lines"); an order's editor lists new lines under "Add lines". */
  title?: string;
}) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const [hit, setHit] = useState<ScanHit | null>(null);
  const [qty, setQty] = useState('');
  const { feedback, setFeedback, fail } = useFloorForm();
  const ownScan = useRef<HTMLInputElement>(null);
  const scanRef = props.scanRef ?? ownScan;
  const qtyRef = useRef<HTMLInputElement>(null);

  const add = () => {
    if (!hit || hit.kind !== 'item') return fail(t('floor.putaway.scanItemFirst'), scanRef);
    const q = parseQty(qty);
    if (q === null) return fail(t('floor.badQuantity'), qtyRef);
    props.onChange([...props.lines, { item: hit.item, qty: q }]);
    setFeedback(null);
    setCode('');
    setHit(null);
    setQty('');
    scanRef.current?.focus();
  };

  return (
    <fieldset className="line-editor" data-lines={props.name}>
      <legend>{props.title ?? t('floor.lines.title')}</legend>
      {props.lines.length === 0 ? (
        <p className="hint">{t('floor.lines.none')}</p>
      ) : (
        <table className="floor-table compact">
          <LinesTableHead />
          <tbody>
            {props.lines.map((l, i) => (
              <tr key={`${l.item.id}-${i}`} data-sku={l.item.sku}>
                <td>
                  {l.item.sku} <span className="hint">{l.item.name}</span>
                </td>
                <td className="num">{l.qty}</td>
                <td>
                  <button
                    type="button"
                    aria-label={t('floor.lines.removeLine', { sku: l.item.sku })}
                    onClick={() => props.onChange(props.lines.filter((_, j) => j !== i))}
                  >
                    ×
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="line-add">
        <ScanField
          name={`${props.name}-item`}
          label={t('floor.lines.item')}
          accept={['item']}
          lookup={props.lookup}
          value={code}
          onChange={setCode}
          inputRef={scanRef}
          nextRef={qtyRef}
          hit={hit}
          onRecognized={setHit}
        />
        <QtyField name={`${props.name}-qty`} value={qty} onChange={setQty} inputRef={qtyRef} onEnter={add} />
        <button type="button" onClick={add}>
          {t('floor.lines.add')}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </fieldset>
  );
}

/** The header row of a table of lines: item, quantity, and the (unlabelled) remove column. */
export function LinesTableHead() {
  const { t } = useTranslation();
  return (
    <thead>
      <tr>
        <th>{t('floor.item')}</th>
        <th className="num">{t('floor.quantity')}</th>
        <th>
          <span className="sr-only">{t('floor.lines.remove')}</span>
        </th>
      </tr>
    </thead>
  );
}
