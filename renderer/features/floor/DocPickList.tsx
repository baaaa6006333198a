import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * The open documents of a floor screen (receipts, orders): a loading line, an empty line, or a
 * list of toggle buttons, one per document, the selected one pressed.
 */
export function DocPickList<D extends { id: string }>(props: {
  /** null while loading. */
  docs: readonly D[] | null;
  selected: string | null;
  onSelect(id: string): void;
  /** The list's accessible name. */
  label: string;
  /** Shown when there are no documents. */
  empty: string;
  /** The data attribute that carries the document's code (e2e tests find buttons by it). */
  dataName: `data-${string}`;
  /** The document's code (reference, number), shown bold. */
  code(doc: D): string;
  /** The party (supplier, customer) after the code. */
  party(doc: D): string;
  /** The hint after the party (line count, status). */
  hint(doc: D): ReactNode;
}) {
  const { t } = useTranslation();
  if (props.docs === null) return <p className="state">{t('app.loading')}</p>;
  if (props.docs.length === 0) return <p className="state">{props.empty}</p>;
  return (
    <ul className="pick-list" aria-label={props.label}>
      {props.docs.map((d) => (
        <li key={d.id}>
          <button
            type="button"
            className={d.id === props.selected ? 'selected' : undefined}
            aria-pressed={d.id === props.selected}
            {...{ [props.dataName]: props.code(d) }}
            onClick={() => props.onSelect(d.id)}
          >
            <strong>{props.code(d)}</strong> {props.party(d)} <span className="hint">{props.hint(d)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
