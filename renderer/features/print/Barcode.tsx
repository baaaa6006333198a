import { useTranslation } from 'react-i18next';
import { code128Bars, code128Problem } from './code128.js';

/**
 * A Code 128 (set B) barcode as inline SVG: one black rect per bar on white, quiet zones inside
 * the drawing so a tight label border cannot eat them. It stretches to the label's width (every
 * module scales alike). A code that Code 128 B cannot carry prints as text only, with a note.
 */
export function Barcode({ code, height = 44 }: { code: string; height?: number }) {
  const { t } = useTranslation();
  const problem = code128Problem(code);
  if (problem) {
    return (
      <span className="barcode-missing" data-testid="barcode-missing">
        {t(`print.barcode.${problem.code}`)}
      </span>
    );
  }
  const { bars, modules } = code128Bars(code);
  return (
    <svg
      className="barcode"
      role="img"
      aria-label={t('print.barcode.label', { code })}
      data-code128={code}
      viewBox={`0 0 ${modules} ${height}`}
      preserveAspectRatio="none"
      shapeRendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect x={0} y={0} width={modules} height={height} fill="#fff" />
      {bars.map((b) => (
        <rect key={b.x} x={b.x} y={0} width={b.width} height={height} fill="#000" />
      ))}
    </svg>
  );
}
