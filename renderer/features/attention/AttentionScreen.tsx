import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AttentionItem } from '../../data/attention-types.js';
import { discardAttention, retryAttention, useAttention } from '../../data/attention.js';
import { FieldDiff } from '../audit/FieldDiff.js';
import { formatAbsolute, type DiffKind, type Translate } from '../audit/model.js';
import { codeText, copyText, copyToClipboard, openItems, subjectOf, subjectText } from './model.js';

type Feedback = { kind: 'ok' | 'error'; text: string } | null;
type Announce = (f: Feedback) => void;

/** The signed-in user's changes the server refused, with retry, copy and discard (I6). */
export function AttentionScreen() {
  const { t } = useTranslation();
  const { items } = useAttention();
  const open = openItems(items);
  // Kept here, not in the card: a retried or discarded item leaves the list with its card.
  const [feedback, setFeedback] = useState<Feedback>(null);
  return (
    <section className="card access-screen attention" aria-labelledby="attention-title">
      <div className="section-head">
        <h2 id="attention-title">{t('attention.title')}</h2>
        {items !== null && (
          <span className="count" data-testid="attention-count">
            {t('attention.count', { count: open.length })}
          </span>
        )}
      </div>
      <p className="hint">{t('attention.intro')}</p>
      {feedback && (
        <p
          role={feedback.kind === 'ok' ? 'status' : 'alert'}
          className={feedback.kind === 'ok' ? 'ok' : 'error'}
        >
          {feedback.text}
        </p>
      )}
      {items === null ? (
        <p className="state" role="status">
          {t('attention.loading')}
        </p>
      ) : open.length === 0 ? (
        <p className="state" role="status">
          {t('attention.empty')}
        </p>
      ) : (
        <ol className="attention-list">
          {open.map((item) => (
            <AttentionCard key={item.id} item={item} t={t} announce={setFeedback} />
          ))}
        </ol>
      )}
    </section>
  );
}

function AttentionCard({ item, t, announce }: { item: AttentionItem; t: Translate; announce: Announce }) {
  const { i18n } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [manualCopy, setManualCopy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const what = subjectText(subjectOf(item), t);
  const headingId = `attention-${item.id}`;
  const hintId = `attention-retry-hint-${item.id}`;
  const kindLabel = (k: DiffKind) => t(`attention.diff.kinds.${k}`);

  const run = async (action: () => Promise<void>, okKey: string) => {
    setBusy(true);
    announce(null);
    try {
      await action();
      announce({ kind: 'ok', text: t(okKey) });
    } catch (e) {
      announce({
        kind: 'error',
        text: t('attention.actions.failed', { message: e instanceof Error ? e.message : String(e) }),
      });
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    const value = copyText(item);
    const ok = await copyToClipboard(
      value,
      typeof navigator === 'undefined' ? undefined : navigator.clipboard,
    );
    if (ok) {
      setManualCopy(null);
      announce({ kind: 'ok', text: t('attention.actions.copied') });
    } else {
      setManualCopy(value);
      announce({ kind: 'error', text: t('attention.actions.copyManual') });
    }
  };

  return (
    <li
      className="attention-item"
      data-testid="attention-item"
      data-attention-id={item.id}
      aria-labelledby={headingId}
    >
      <h3 id={headingId}>
        {t('attention.heading', { collection: t(`attention.collections.${item.collection}`), what })}
      </h3>
      <dl className="audit-meta">
        <div>
          <dt>{t('attention.tenant')}</dt>
          <dd>{item.tenantId}</dd>
        </div>
        <div>
          <dt>{t('attention.when')}</dt>
          <dd>
            <time dateTime={item.at}>{formatAbsolute(item.at, i18n.language)}</time>
          </dd>
        </div>
        <div>
          <dt>{t('attention.reason')}</dt>
          <dd>
            <strong>{codeText(item.code, t)}</strong>{' '}
            {item.reason && <span className="hint">{t('attention.rawReason', { reason: item.reason })}</span>}
          </dd>
        </div>
      </dl>
      {item.serverVersion === null && <p className="hint">{t('attention.diff.noServer')}</p>}
      <FieldDiff
        before={item.serverVersion}
        after={item.localVersion}
        beforeLabel={t('attention.diff.server')}
        afterLabel={t('attention.diff.local')}
        kindLabel={kindLabel}
      />
      <p id={hintId} className="hint">
        {t('attention.actions.retryHint')}
      </p>
      <div className="form-buttons">
        <button
          type="button"
          className="primary"
          disabled={busy}
          aria-label={t('attention.actions.retryLabel', { what })}
          aria-describedby={hintId}
          onClick={() => void run(() => retryAttention(item.id), 'attention.actions.retried')}
        >
          {t('attention.actions.retry')}
        </button>
        <button
          type="button"
          disabled={busy}
          aria-label={t('attention.actions.copyLabel', { what })}
          onClick={() => void copy()}
        >
          {t('attention.actions.copy')}
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy}
          aria-label={t('attention.actions.discardLabel', { what })}
          onClick={() => setConfirming(true)}
        >
          {t('attention.actions.discard')}
        </button>
      </div>
      {manualCopy !== null && <ManualCopy value={manualCopy} id={`attention-copy-${item.id}`} t={t} />}
      {confirming && (
        <DiscardDialog
          what={what}
          t={t}
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void run(() => discardAttention(item.id), 'attention.actions.discarded');
          }}
        />
      )}
    </li>
  );
}

/** Fallback when the clipboard refuses: the text, selected, to copy by hand. */
function ManualCopy({ value, id, t }: { value: string; id: string; t: Translate }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, [value]);
  return (
    <div className="field manual-copy">
      <label htmlFor={id}>{t('attention.actions.copyArea')}</label>
      <textarea
        id={id}
        ref={ref}
        readOnly
        rows={Math.min(12, value.split('\n').length)}
        value={value}
        onFocus={(e) => e.currentTarget.select()}
      />
    </div>
  );
}

type DialogProps = { what: string; t: Translate; busy: boolean; onCancel: () => void; onConfirm: () => void };

/** "Discard?" as a modal dialog; Escape or "Keep it" cancels, focus starts on the safe choice. */
function DiscardDialog({ what, t, busy, onCancel, onConfirm }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="card decision-dialog"
      aria-labelledby="discard-title"
      aria-describedby="discard-body"
      onClose={onCancel}
    >
      <h3 id="discard-title">{t('attention.dialog.title', { what })}</h3>
      <p id="discard-body">{t('attention.dialog.body')}</p>
      <div className="dialog-buttons">
        <button type="button" autoFocus onClick={onCancel}>
          {t('attention.dialog.cancel')}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={onConfirm}>
          {t('attention.dialog.confirm')}
        </button>
      </div>
    </dialog>
  );
}
