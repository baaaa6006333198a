import {
  createRef,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
  type RefObject,
  type SyntheticEvent,
} from 'react';
import { useTranslation } from 'react-i18next';
import { useFloorForm } from './form.js';
import { LineEditor, LinesTableHead, type DraftLine } from './LineEditor.js';
import { useScanLookup } from './lookup.js';
import { ctrlEnterSubmits, enterTo, Field, FeedbackLine, parseQty, sounded, type Feedback } from './parts.js';
import type { ScanLookup } from './scan.js';

/*
 * What the order editor and the inbound-notice editor share (issue #5): the form around them, and
 * the saved lines — quantity per line, removal confirmed on the line, new lines by scanner — kept
 * as changes against what the form showed (line ids), never as a new list of lines.
 */

/** Where an editor's texts live: each has the same keys (`save`, `qtyOf`, `confirmRemove` …). */
export type EditorStrings = 'floor.outbound.edit' | 'floor.receiving.edit';

/**
 * An editor's form: heading, fields, Save and Cancel, its status line. Ctrl+Enter saves from any
 * field; Escape cancels unless a control inside used it (a line's removal prompt, a scan field).
 */
export function EditorShell(props: {
  testId: string;
  className: string;
  title: string;
  strings: EditorStrings;
  editor: { busy: boolean; feedback: Feedback; submitRef: RefObject<HTMLButtonElement | null> };
  onSubmit: (e: SyntheticEvent) => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <form
      className={`floor-form ${props.className}`}
      aria-label={props.title}
      data-testid={props.testId}
      onSubmit={props.onSubmit}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) props.onCancel();
        ctrlEnterSubmits(e);
      }}
    >
      <h3>{props.title}</h3>
      {props.children}
      <div className="actions">
        <button ref={props.editor.submitRef} type="submit" className="primary" disabled={props.editor.busy}>
          {t(`${props.strings}.save`)}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('floor.cancel')}
        </button>
      </div>
      <FeedbackLine feedback={props.editor.feedback} />
    </form>
  );
}

/**
 * The state of an editor of a saved document: its header fields (`fields`, each a string in the
 * form; the ones in `writable` can be typed into), its lines, and the Enter chain — writable
 * fields, then the quantities of the kept lines and the scan field, then Save. The first link gets
 * the focus once the scanner lookup is ready (the form renders then).
 */
export function useDocEditor<K extends string>(o: {
  fields: readonly K[];
  writable: readonly K[];
  initial: Record<K, string>;
  lines: readonly SavedLine[];
  linesEditable: boolean;
}) {
  const lookup = useScanLookup();
  const form = useFloorForm();
  const edits = useLineEdits(o.lines);
  /** What the form showed first: the edit is sent as the difference to it. */
  const initial = useRef(o.initial).current;
  const [values, setValues] = useState(initial);
  const fieldRefs = useMemo(
    () =>
      Object.fromEntries(o.fields.map((k) => [k, createRef<HTMLInputElement>()])) as Record<
        K,
        RefObject<HTMLInputElement | null>
      >,
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the fields of an editor never change
    [],
  );
  const chain: RefObject<HTMLElement | null>[] = [
    ...o.writable.map((k) => fieldRefs[k]),
    ...(o.linesEditable ? [...edits.live.map((l) => edits.qtyRef(l.lineId)), edits.scanRef] : []),
    form.submitRef,
  ];
  const nextOf = (ref: RefObject<HTMLElement | null>) => chain[chain.indexOf(ref) + 1] ?? form.submitRef;
  const ready = lookup !== null;
  useEffect(() => {
    if (ready) chain[0]?.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- focus the first field once it renders
  }, [ready]);
  /**
   * Save: nothing to write closes the editor with `unchanged`; otherwise `write` (a refusal stays
   * in the form as its error, nothing written) and the editor closes with the message it returns.
   */
  const commit = async (
    empty: boolean,
    write: () => Promise<string>,
    unchanged: string,
    onDone: (message: string | null) => void,
  ) => {
    if (empty) return onDone(unchanged);
    await form.run(async () => {
      const message = await write();
      sounded({ kind: 'ok', text: '' });
      form.setFeedback(null);
      onDone(message);
    });
  };
  return { ...form, lookup, edits, initial, values, setValues, fieldRefs, nextOf, commit };
}

/**
 * An editor's header fields, Enter to the next link of its chain. A field the role may not write
 * is shown disabled with `readOnly` as its hint, or left out when there is no such hint.
 */
export function HeaderFields<K extends string>(props: {
  /** Prefix of the inputs' names (`order-edit` → `order-edit-city`). */
  name: string;
  editor: Pick<ReturnType<typeof useDocEditor<K>>, 'values' | 'setValues' | 'fieldRefs' | 'nextOf'>;
  fields: readonly K[];
  writable: readonly K[];
  label: (k: K) => string;
  readOnly?: string;
  inputMode?: (k: K) => 'numeric' | undefined;
}) {
  const { values, setValues, fieldRefs, nextOf } = props.editor;
  return (
    <>
      {props.fields.map((k) => {
        const rw = props.writable.includes(k);
        if (!rw && props.readOnly === undefined) return null;
        return (
          <Field
            key={k}
            name={`${props.name}-${k}`}
            label={props.label(k)}
            value={values[k]}
            onChange={(v) => setValues((cur) => ({ ...cur, [k]: v }))}
            inputRef={fieldRefs[k]}
            next={nextOf(fieldRefs[k])}
            inputMode={props.inputMode?.(k)}
            disabled={!rw}
            hint={rw ? undefined : props.readOnly}
          />
        );
      })}
    </>
  );
}

/** A saved line as an editor shows it (a notice's expected quantity is its `qty`). */
export type SavedLine = { lineId: string; itemId: string; qty: number };

/** The line changes of an edit (absent: none of that kind). */
export type LineChanges = {
  setQty?: Record<string, number>;
  removeLines?: string[];
  addLines?: { itemId: string; qty: number }[];
};

/** The state of an editor's lines: typed quantities, removals, the line asked about, new lines. */
export function useLineEdits(lines: readonly SavedLine[]) {
  /** Quantities the user typed, by line id (untouched lines show the saved quantity). */
  const [qtys, setQtys] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState<string | null>(null);
  const [added, setAdded] = useState<DraftLine[]>([]);
  const refs = useRef(new Map<string, RefObject<HTMLInputElement | null>>()).current;
  const qtyRef = (lineId: string) => {
    let r = refs.get(lineId);
    if (!r) {
      r = createRef<HTMLInputElement>();
      refs.set(lineId, r);
    }
    return r;
  };
  const scanRef = useRef<HTMLInputElement>(null);
  const live = lines.filter((l) => !removed.has(l.lineId));
  /** The changes made, or the first kept line whose typed quantity is not a number above 0. */
  const changes = (): { bad: SavedLine } | { bad: null; changes: LineChanges } => {
    const setQty: Record<string, number> = {};
    for (const l of live) {
      const typed = qtys[l.lineId];
      if (typed === undefined) continue;
      const q = parseQty(typed);
      if (q === null) return { bad: l };
      if (q !== l.qty) setQty[l.lineId] = q;
    }
    const out: LineChanges = {};
    if (Object.keys(setQty).length > 0) out.setQty = setQty;
    if (removed.size > 0) out.removeLines = [...removed];
    if (added.length > 0) out.addLines = added.map((l) => ({ itemId: l.item.id, qty: l.qty }));
    return { bad: null, changes: out };
  };
  return {
    qtys,
    setQtys,
    removed,
    setRemoved,
    confirming,
    setConfirming,
    added,
    setAdded,
    qtyRef,
    scanRef,
    live,
    changes,
  };
}
export type LineEdits = ReturnType<typeof useLineEdits>;

/**
 * The saved lines (quantity fields; × asks on the line — Keep has focus, Escape keeps; a removed
 * line can be taken back) and the scanner for new lines. Enter in a quantity goes to `nextOf`.
 */
export function LinesEditor(props: {
  /** Prefix of the inputs' names (`order-edit` → `order-edit-qty-<lineId>`, `order-edit-lines-item`). */
  name: string;
  strings: EditorStrings;
  lines: readonly SavedLine[];
  editor: {
    edits: LineEdits;
    nextOf: (ref: RefObject<HTMLElement | null>) => RefObject<HTMLElement | null>;
  };
  lookup: ScanLookup;
  sku: (itemId: string) => string;
  /** A note after the line's SKU (what is picked or received of it). */
  note?: (line: SavedLine) => ReactNode;
}) {
  const { t } = useTranslation();
  const { strings: k } = props;
  const { edits, nextOf } = props.editor;
  const keepRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (edits.confirming !== null) keepRef.current?.focus();
  }, [edits.confirming]);
  /**
   * The line stays: back to its quantity — focused before the prompt that holds the focus goes
   * away, so a key pressed right after (Escape, to close the editor) reaches the form, not the page.
   */
  const keep = (lineId: string) => {
    edits.qtyRef(lineId).current?.focus();
    edits.setConfirming(null);
  };
  return (
    <>
      <fieldset className="line-editor" data-lines={`${props.name}-existing`}>
        <legend>{t(`${k}.existing`)}</legend>
        {props.lines.length === 0 ? (
          <p className="hint">{t(`${k}.noLines`)}</p>
        ) : (
          <table className="floor-table compact">
            <LinesTableHead />
            <tbody>
              {props.lines.map((l) => {
                const s = props.sku(l.itemId);
                if (edits.removed.has(l.lineId))
                  return (
                    <tr key={l.lineId} data-sku={s} data-removed="true">
                      <td>
                        <s>{s}</s> <span className="badge danger">{t(`${k}.removed`)}</span>
                      </td>
                      <td className="num">
                        <s>{l.qty}</s>
                      </td>
                      <td>
                        <button
                          type="button"
                          onClick={() =>
                            edits.setRemoved((cur) => new Set([...cur].filter((id) => id !== l.lineId)))
                          }
                        >
                          {t(`${k}.undo`)}
                        </button>
                      </td>
                    </tr>
                  );
                const ref = edits.qtyRef(l.lineId);
                const note = props.note?.(l);
                const prompt = t(`${k}.confirmRemove`, { sku: s, qty: l.qty });
                return (
                  <tr key={l.lineId} data-sku={s}>
                    <td>
                      {s}
                      {note ? <span className="hint"> {note}</span> : null}
                    </td>
                    <td className="num">
                      <input
                        ref={ref}
                        name={`${props.name}-qty-${l.lineId}`}
                        aria-label={t(`${k}.qtyOf`, { sku: s })}
                        inputMode="decimal"
                        autoComplete="off"
                        size={6}
                        value={edits.qtys[l.lineId] ?? String(l.qty)}
                        onChange={(e) => edits.setQtys((cur) => ({ ...cur, [l.lineId]: e.target.value }))}
                        onKeyDown={enterTo(nextOf(ref))}
                      />
                    </td>
                    <td>
                      {edits.confirming === l.lineId ? (
                        <span
                          className="confirm-inline"
                          role="group"
                          aria-label={prompt}
                          onKeyDown={(e) => {
                            if (e.key !== 'Escape') return;
                            e.preventDefault();
                            e.stopPropagation();
                            keep(l.lineId);
                          }}
                        >
                          <span role="alert">{prompt}</span>{' '}
                          <button ref={keepRef} type="button" onClick={() => keep(l.lineId)}>
                            {t(`${k}.keep`)}
                          </button>{' '}
                          <button
                            type="button"
                            className="danger"
                            onClick={() => {
                              edits.setRemoved((cur) => new Set([...cur, l.lineId]));
                              edits.setConfirming(null);
                              edits.scanRef.current?.focus();
                            }}
                          >
                            {t(`${k}.confirmYes`)}
                          </button>
                        </span>
                      ) : (
                        <button
                          type="button"
                          aria-label={t(`${k}.removeLine`, { sku: s })}
                          onClick={() => edits.setConfirming(l.lineId)}
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
        )}
      </fieldset>
      <LineEditor
        name={`${props.name}-lines`}
        title={t(`${k}.addTitle`)}
        lookup={props.lookup}
        lines={edits.added}
        onChange={edits.setAdded}
        scanRef={edits.scanRef}
      />
    </>
  );
}
