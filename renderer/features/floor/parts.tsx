import { useId, type KeyboardEvent, type ReactNode, type RefObject, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { beep } from './sound.js';

/** A status line after an action: green and a beep for success, red and a buzz for an error. */
export type Feedback = { kind: 'ok' | 'error'; text: string } | null;

/** Show feedback and sound it (the caller sets it once per action). */
export function sounded(f: NonNullable<Feedback>): Feedback {
  beep(f.kind);
  return f;
}

/** The status line of a floor form. */
export function FeedbackLine({ feedback }: { feedback: Feedback }) {
  if (!feedback) return null;
  return (
    <p
      role={feedback.kind === 'error' ? 'alert' : 'status'}
      className={`floor-feedback ${feedback.kind === 'error' ? 'error' : 'ok'}`}
      data-testid="floor-feedback"
    >
      {feedback.text}
    </p>
  );
}

/**
 * A scanner form that writes one line (receive, pick): its fields, a big submit button and the
 * status line. Escape (not consumed by a scan field clearing itself) starts the line over.
 */
export function ScanLineForm(props: {
  className: string;
  label: string;
  submitLabel: string;
  onSubmit: (e: SyntheticEvent) => void;
  onEscape: () => void;
  submitRef: RefObject<HTMLButtonElement | null>;
  busy: boolean;
  feedback: Feedback;
  children: ReactNode;
}) {
  return (
    <form
      className={props.className}
      aria-label={props.label}
      onSubmit={props.onSubmit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onEscape();
      }}
    >
      {props.children}
      <div className="actions">
        <button ref={props.submitRef} type="submit" className="primary big" disabled={props.busy}>
          {props.submitLabel}
        </button>
      </div>
      <FeedbackLine feedback={props.feedback} />
    </form>
  );
}

/** Enter moves to `next` (a scanner or a keyboard user never reaches for the mouse). */
export function enterTo(next: RefObject<HTMLElement | null>, before?: () => boolean) {
  return (e: KeyboardEvent<HTMLElement>) => {
    if (e.key !== 'Enter' || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    if (before && !before()) return;
    const el = next.current;
    el?.focus();
    if (el instanceof HTMLInputElement) el.select();
  };
}

/** The props of a floor `Field`. */
export interface FieldProps {
  name: string;
  label: string;
  value: string;
  onChange(v: string): void;
  inputRef?: RefObject<HTMLInputElement | null>;
  next?: RefObject<HTMLElement | null>;
  /** Enter does this instead of moving on (e.g. add a line). */
  onEnter?: () => void;
  type?: 'text' | 'date' | 'number';
  inputMode?: 'decimal' | 'numeric' | 'text';
  disabled?: boolean;
  hint?: ReactNode;
  error?: string | null;
}

/** A labelled input with a large target; Enter goes to `next`. */
export function Field(props: FieldProps) {
  const id = useId();
  return (
    <div className="floor-field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        ref={props.inputRef}
        name={props.name}
        type={props.type ?? 'text'}
        inputMode={props.inputMode}
        autoComplete="off"
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        onChange={(e) => props.onChange(e.target.value)}
        onKeyDown={
          props.onEnter
            ? (e) => {
                if (e.key !== 'Enter' || e.ctrlKey || e.metaKey) return;
                e.preventDefault();
                props.onEnter?.();
              }
            : props.next
              ? enterTo(props.next)
              : undefined
        }
      />
      {props.error ? <span className="error">{props.error}</span> : null}
      {props.hint ? <span className="hint">{props.hint}</span> : null}
    </div>
  );
}

/** The quantity field of a floor form (decimal keypad). */
export function QtyField(props: Omit<FieldProps, 'label' | 'inputMode'>) {
  const { t } = useTranslation();
  return <Field {...props} label={t('floor.quantity')} inputMode="decimal" />;
}

/** Parse a positive quantity typed on the floor (comma decimals allowed); null when invalid. */
export function parseQty(s: string, allowZero = false): number | null {
  const t = s.trim().replace(',', '.');
  if (t === '' || !/^\d+(\.\d+)?$/.test(t)) return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n > 1e9 || (allowZero ? n < 0 : n <= 0)) return null;
  return n;
}

/** Today as YYYY-MM-DD in the PC's local calendar (expiry is a calendar matter). */
export function todayLocal(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** Ctrl+Enter submits the form from any field (scanner users never reach for the mouse). */
export function ctrlEnterSubmits(e: KeyboardEvent<HTMLFormElement>): void {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    e.currentTarget.requestSubmit();
  }
}
