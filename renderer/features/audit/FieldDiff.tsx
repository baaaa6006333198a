import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { diffFields, formatValue, visibleDiff, type DiffKind } from './model.js';

type Props = {
  before: Record<string, unknown> | null | undefined;
  after: Record<string, unknown> | null | undefined;
  /** Column headings (default: before / after). */
  beforeLabel?: string;
  afterLabel?: string;
  /** Wording of a row's kind (default: added / removed / changed …). */
  kindLabel?: (kind: DiffKind) => string;
  caption?: string;
};

/**
 * Before/after of a document, field by field: changed fields by default, all with the toggle.
 * Only fields the server sent appear; `•••` is shown as sent, nothing stands in for absent fields.
 */
export function FieldDiff({ before, after, beforeLabel, afterLabel, kindLabel, caption }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const [showAll, setShowAll] = useState(false);
  const rows = useMemo(() => diffFields(before, after), [before, after]);
  const shown = visibleDiff(rows, showAll);
  const label = kindLabel ?? ((k: DiffKind) => t(`audit.diff.kinds.${k}`));
  const value = (v: unknown) => formatValue(v) ?? t('audit.diff.noValue');

  if (rows.length === 0) return <p className="hint diff-empty">{t('audit.diff.noSnapshot')}</p>;
  return (
    <div className="field-diff">
      <label className="checkbox" htmlFor={`${id}-all`}>
        <input
          id={`${id}-all`}
          type="checkbox"
          checked={showAll}
          onChange={(e) => setShowAll(e.target.checked)}
        />
        {t('audit.diff.showAll')}
      </label>
      {shown.length === 0 ? (
        <p className="hint diff-empty">{t('audit.diff.noChanges')}</p>
      ) : (
        <table className="data-table diff-table">
          <caption className="sr-only">{caption ?? t('audit.diff.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('audit.diff.field')}</th>
              <th scope="col">{beforeLabel ?? t('audit.diff.before')}</th>
              <th scope="col">{afterLabel ?? t('audit.diff.after')}</th>
              <th scope="col">{t('audit.diff.change')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.field} className={`diff-${r.kind}`} data-field={r.field} data-kind={r.kind}>
                <th scope="row" className="diff-field">
                  {r.field}
                </th>
                <td className="diff-before">{r.kind === 'added' ? '' : value(r.before)}</td>
                <td className="diff-after">{r.kind === 'removed' ? '' : value(r.after)}</td>
                <td>
                  <span className={`badge diff-kind-${r.kind}`}>{label(r.kind)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
