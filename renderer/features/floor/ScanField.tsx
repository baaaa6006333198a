import { useId, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { recognize, type ScanHit, type ScanKind, type ScanLookup } from './scan.js';
import { beep } from './sound.js';

export type ScanFieldProps = {
  /** Field name (also its test handle). */
  name: string;
  label: string;
  accept: readonly ScanKind[];
  lookup: ScanLookup;
  value: string;
  onChange(value: string): void;
  /** Called with what the code named; the field then moves focus on. */
  onRecognized(hit: ScanHit): void;
  /** Where focus goes after a recognized scan (its text is selected so the next scan replaces it). */
  nextRef?: RefObject<HTMLInputElement | HTMLButtonElement | HTMLSelectElement | null>;
  inputRef?: RefObject<HTMLInputElement | null>;
  /** The current hit to show (owned by the form, so it can clear it). */
  hit?: ScanHit | null;
  /** Escape on an empty field: the form's cancel. */
  onCancel?(): void;
  autoFocus?: boolean;
  disabled?: boolean;
  hint?: string;
};

/**
 * One scan target. Typing or a scanner's burst of keys followed by Enter is looked up as an
 * item (SKU or any barcode), a location (code or barcode) or a batch, in the order `accept` gives.
 * A recognized code shows what it named, beeps and moves focus on; anything else (unknown code,
 * control characters, an overlong paste) shows why, buzzes and keeps focus with the text
 * selected so the next scan replaces it. Escape clears the field, and on an empty field cancels.
 */
export function ScanField(props: ScanFieldProps) {
  const { t } = useTranslation();
  const id = useId();
  const ownRef = useRef<HTMLInputElement>(null);
  const ref = props.inputRef ?? ownRef;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const seq = useRef(0);

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      if (props.value !== '' || error) {
        e.preventDefault();
        e.stopPropagation();
        props.onChange('');
        setError(null);
      } else props.onCancel?.();
      return;
    }
    // Ctrl+Enter is the form's "save", not a scan.
    if (e.key !== 'Enter' || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    e.stopPropagation();
    const raw = e.currentTarget.value;
    const mine = ++seq.current;
    setBusy(true);
    void recognize(raw, props.accept, props.lookup)
      .then((outcome) => {
        if (mine !== seq.current) return; // a newer scan superseded this one
        if (outcome.ok) {
          setError(null);
          beep('ok');
          props.onRecognized(outcome.hit);
          const next = props.nextRef?.current;
          if (next) {
            next.focus();
            if (next instanceof HTMLInputElement) next.select();
          }
        } else {
          setError(
            t(`floor.scan.${outcome.code}`, {
              code: outcome.raw,
              kinds: props.accept.map((k) => t(`floor.scan.kinds.${k}`)).join(' / '),
            }),
          );
          beep('error');
          ref.current?.select();
        }
      })
      .catch((err: unknown) => {
        setError(t('floor.scan.failed', { message: err instanceof Error ? err.message : String(err) }));
        beep('error');
      })
      .finally(() => {
        if (mine === seq.current) setBusy(false);
      });
  };

  const hit = props.hit ?? null;
  const state = error ? 'error' : hit ? 'ok' : 'idle';
  return (
    <div className={`scan-field scan-${state}`} data-scan={props.name} data-state={state}>
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        ref={ref}
        name={props.name}
        className="scan-input"
        value={props.value}
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        autoFocus={props.autoFocus}
        disabled={props.disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-msg`}
        aria-busy={busy || undefined}
        onChange={(e) => {
          props.onChange(e.target.value);
          if (error) setError(null);
        }}
        onKeyDown={onKeyDown}
      />
      <p id={`${id}-msg`} className="scan-msg" aria-live="polite">
        {error ? (
          <span role="alert" className="error" data-testid="scan-error">
            {error}
          </span>
        ) : hit ? (
          <span className="ok" data-testid="scan-hit" data-kind={hit.kind}>
            {describeHit(hit, t)}
          </span>
        ) : props.hint ? (
          <span className="hint">{props.hint}</span>
        ) : null}
      </p>
    </div>
  );
}

/** What a hit is, in words. */
export function describeHit(hit: ScanHit, t: (k: string, o?: Record<string, unknown>) => string): string {
  if (hit.kind === 'item') return t('floor.scan.hitItem', { sku: hit.item.sku, name: hit.item.name });
  if (hit.kind === 'location') {
    const text = t('floor.scan.hitLocation', {
      location: hit.locationId + (hit.name ? ` (${hit.name})` : ''),
    });
    return hit.unverified ? `${text} ${t('floor.scan.unverified')}` : text;
  }
  return t('floor.scan.hitBatch', { batch: hit.batch });
}
