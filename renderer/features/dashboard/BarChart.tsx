import { useId } from 'react';
import type { Bar } from './model.js';

type Props = {
  title: string;
  /** One sentence that says what the chart shows (read by screen readers). */
  desc: string;
  bars: readonly Bar[];
  /** Column headers of the table fallback. */
  labelHeader: string;
  valueHeader: string;
  /** Horizontal bars (categories with long names) or vertical columns (days). */
  orientation?: 'horizontal' | 'vertical';
  format: (n: number) => string;
  /** Text of the fallback table's disclosure. */
  tableLabel: string;
};

const W = 560;
const ROW = 26;
const LABEL_W = 130;
const VALUE_W = 70;
const COL_H = 160;
const AXIS_H = 22;

/**
 * An inline SVG bar chart: role img with <title>/<desc>, every bar with its value as text, and the
 * same numbers as a table (inside a disclosure) for screen readers and copy-paste.
 */
export function BarChart({
  title,
  desc,
  bars,
  labelHeader,
  valueHeader,
  orientation = 'horizontal',
  format,
  tableLabel,
}: Props) {
  const id = useId();
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = orientation === 'horizontal' ? bars.length * ROW + 4 : COL_H + AXIS_H;
  const colW = bars.length > 0 ? (W - 8) / bars.length : W;
  return (
    <figure className="chart" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`} className="chart-title">
        {title}
      </figcaption>
      <svg
        role="img"
        aria-labelledby={`${id}-t ${id}-d`}
        viewBox={`0 0 ${W} ${height}`}
        width="100%"
        preserveAspectRatio="xMinYMin meet"
        style={{ maxWidth: W, display: 'block' }}
      >
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{desc}</desc>
        {orientation === 'horizontal'
          ? bars.map((b, i) => {
              const w = ((W - LABEL_W - VALUE_W) * b.value) / max;
              const y = i * ROW + 2;
              return (
                <g key={b.key} data-bar={b.key}>
                  <text x={LABEL_W - 6} y={y + ROW / 2 + 4} textAnchor="end" fontSize="12" fill="#222">
                    {b.label}
                  </text>
                  <rect
                    x={LABEL_W}
                    y={y + 3}
                    width={Math.max(w, b.value > 0 ? 2 : 0)}
                    height={ROW - 8}
                    fill="#1f5fbf"
                    rx="2"
                  />
                  <text x={LABEL_W + w + 6} y={y + ROW / 2 + 4} fontSize="12" fill="#222">
                    {format(b.value)}
                  </text>
                </g>
              );
            })
          : bars.map((b, i) => {
              const h = ((COL_H - 16) * b.value) / max;
              const x = 4 + i * colW;
              const showLabel = bars.length <= 16 || i % Math.ceil(bars.length / 16) === 0;
              return (
                <g key={b.key} data-bar={b.key}>
                  <rect
                    x={x + 2}
                    y={COL_H - h}
                    width={Math.max(colW - 4, 1)}
                    height={h}
                    fill="#1f5fbf"
                    rx="2"
                  />
                  {b.value > 0 && (
                    <text x={x + colW / 2} y={COL_H - h - 3} textAnchor="middle" fontSize="10" fill="#222">
                      {format(b.value)}
                    </text>
                  )}
                  {showLabel && (
                    <text x={x + colW / 2} y={COL_H + 15} textAnchor="middle" fontSize="10" fill="#444">
                      {b.label}
                    </text>
                  )}
                </g>
              );
            })}
      </svg>
      <details className="chart-table">
        <summary>{tableLabel}</summary>
        <table className="data-table">
          <caption className="sr-only">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{labelHeader}</th>
              <th scope="col" className="num">
                {valueHeader}
              </th>
            </tr>
          </thead>
          <tbody>
            {bars.map((b) => (
              <tr key={b.key}>
                <th scope="row">{b.label}</th>
                <td className="num">{format(b.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
