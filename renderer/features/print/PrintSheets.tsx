import { useTranslation } from 'react-i18next';
import { Barcode } from './Barcode.js';
import type { Label, PickList } from './model.js';

/**
 * Print rules: on paper only the sheet shows (the app's chrome is hidden), labels never split
 * across pages, each label carries its code as a Code 128 barcode (black on white, exact colours
 * even where the print dialog drops backgrounds) and in a large monospace face for people.
 */
export const PRINT_CSS = `
.print-sheet { background: #fff; color: #000; }
.print-sheet table { width: 100%; border-collapse: collapse; }
.print-sheet th, .print-sheet td { border: 1px solid #888; padding: 4px 6px; text-align: left; vertical-align: top; }
.print-sheet .num { text-align: right; }
.print-sheet .code { font-family: 'DejaVu Sans Mono', 'Liberation Mono', Consolas, monospace; }
.print-sheet .box { display: inline-block; width: 14px; height: 14px; border: 1.5px solid #000; }
.print-sheet .short { font-weight: bold; }
.labels { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }
.label { border: 1px dashed #777; padding: 3mm; break-inside: avoid; page-break-inside: avoid; min-height: 30mm; }
.label .barcode { display: block; width: 100%; height: 14mm; margin-bottom: 1mm; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.label .barcode-missing { display: block; font-size: 11px; font-style: italic; }
.label-code { font-family: 'DejaVu Sans Mono', 'Liberation Mono', Consolas, monospace; font-size: 26px; font-weight: bold; letter-spacing: 1px; word-break: break-all; }
.label-title { font-size: 14px; margin-top: 2mm; }
.label-sub { font-size: 11px; color: #333; }
@media print {
  @page { size: A4; margin: 12mm; }
  body * { visibility: hidden !important; }
  .print-sheet, .print-sheet * { visibility: visible !important; }
  .print-sheet { position: absolute; left: 0; top: 0; width: 100%; margin: 0; box-shadow: none; border: 0; }
  .no-print { display: none !important; }
}
`;

/** A pick list on paper: header, one row per bin to visit, tick boxes, shortages in bold. */
export function PickListSheet({ list, printedAt }: { list: PickList; printedAt: string }) {
  const { t } = useTranslation();
  return (
    <article className="print-sheet pick-sheet" data-testid="pick-list">
      <h2>{t('print.pick.heading', { number: list.number })}</h2>
      <p>
        {t('print.pick.client', { tenant: list.tenantId })} ·{' '}
        {t('print.pick.status', { status: list.status })} · {t('print.pick.printed', { time: printedAt })}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('print.pick.bin')}</th>
            <th scope="col">{t('print.pick.sku')}</th>
            <th scope="col">{t('print.pick.name')}</th>
            <th scope="col">{t('print.pick.batch')}</th>
            <th scope="col">{t('print.pick.expires')}</th>
            <th scope="col" className="num">
              {t('print.pick.take')}
            </th>
            <th scope="col">{t('print.pick.done')}</th>
          </tr>
        </thead>
        <tbody>
          {list.lines.flatMap((l) => [
            ...l.picks.map((p, i) => (
              <tr key={`${l.lineId}-${i}`} data-sku={l.sku}>
                <td className="code">{p.locationId}</td>
                <td className="code">{l.sku}</td>
                <td>{l.name}</td>
                <td className="code">{p.batch ?? ''}</td>
                <td>{p.expiresAt ?? ''}</td>
                <td className="num">{p.quantity}</td>
                <td>
                  <span className="box" aria-hidden="true" />
                </td>
              </tr>
            )),
            ...(l.shortBy > 0
              ? [
                  <tr key={`${l.lineId}-short`} className="short" data-sku={l.sku}>
                    <td>{l.picks.length === 0 ? t('print.pick.noStock') : ''}</td>
                    <td className="code">{l.sku}</td>
                    <td>{l.name}</td>
                    <td colSpan={4}>{t('print.pick.short', { count: l.shortBy })}</td>
                  </tr>,
                ]
              : []),
          ])}
        </tbody>
      </table>
      <p style={{ marginTop: 24 }}>{t('print.pick.signature')}: ______________________</p>
    </article>
  );
}

/** Labels on paper: three per row, the barcode, the code large and monospace, title and subtitle. */
export function LabelSheet({ labels }: { labels: readonly Label[] }) {
  return (
    <article className="print-sheet" data-testid="label-sheet">
      <div className="labels">
        {labels.map((l) => (
          <div key={l.code} className="label" data-code={l.code}>
            <Barcode code={l.code} />
            <div className="label-code">{l.code}</div>
            <div className="label-title">{l.title}</div>
            {l.subtitle && <div className="label-sub">{l.subtitle}</div>}
          </div>
        ))}
      </div>
    </article>
  );
}
