import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { typedMatches } from '../../../shared/audit/destructive.js';
import { cosignChange } from '../../data/workspace.js';
import { useConfirm, type ConfirmState } from '../../state/confirm.js';
import { useSession } from '../../state/session.js';

/**
 * The confirmation of every destructive change: retype the identifying value, give a reason,
 * and above the tenant's threshold let a second user co-sign with their own credentials on this
 * PC (online through the server, offline against their cached verifier). Keyboard only works:
 * focus starts in the first field, Enter confirms, Escape cancels.
 */
export function ConfirmDialog() {
  const pending = useConfirm((s) => s.pending);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (pending && !d.open) d.showModal();
    else if (!pending && d.open) d.close();
  }, [pending]);

  return (
    <dialog
      ref={dialog}
      className="confirm-dialog card"
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault();
        pending?.resolve(null);
      }}
    >
      {/* A fresh form per request: its fields start empty without an effect racing the typing. */}
      {pending && <ConfirmForm key={pending.id} pending={pending} />}
    </dialog>
  );
}

function ConfirmForm({ pending }: { pending: NonNullable<ConfirmState['pending']> }) {
  const { t } = useTranslation();
  const me = useSession((s) => s.user);
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const [cosigner, setCosigner] = useState('');
  const [cosignPassword, setCosignPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (!typedMatches(typed, pending.identifying))
      return setError(t('confirm.typedMismatch', { value: pending.identifying }));
    if (reason.trim().length < 3) return setError(t('confirm.reasonShort'));
    let cosign = null;
    if (pending.needsCosign) {
      if (cosigner.trim().toLowerCase() === me?.username.toLowerCase())
        return setError(t('confirm.cosignSelf'));
      setBusy(true);
      try {
        const at = new Date().toISOString();
        const signed = await cosignChange(cosigner.trim(), cosignPassword, {
          tenantId: pending.tenantId,
          entity: pending.entity,
          entityId: pending.entityId,
          action: pending.action,
          typed: typed.trim(),
          reason: reason.trim(),
          at,
        });
        cosign = { userId: signed.userId, at, signature: signed.signature };
      } catch (err) {
        setBusy(false);
        return setError(
          t('confirm.cosignFailed', { message: err instanceof Error ? err.message : String(err) }),
        );
      }
      setBusy(false);
    }
    pending.resolve({ typed: typed.trim(), reason: reason.trim(), cosign });
  };

  return (
    <form onSubmit={(e) => void submit(e)}>
      <h2 id="confirm-title">{t('confirm.title', { kind: t(`confirm.kinds.${pending.kind}`) })}</h2>
      <p>{t('confirm.what', { subject: pending.subject })}</p>
      <label>
        {t('confirm.typeToConfirm', { value: pending.identifying })}
        <input
          name="typed"
          autoFocus
          autoComplete="off"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
      </label>
      <label>
        {t('confirm.reason')}
        <input name="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      {pending.needsCosign && (
        <fieldset className="cosign">
          <legend>{t('confirm.cosignTitle')}</legend>
          <label>
            {t('confirm.cosignUser')}
            <input
              name="cosigner"
              autoComplete="off"
              value={cosigner}
              onChange={(e) => setCosigner(e.target.value)}
            />
          </label>
          <label>
            {t('confirm.cosignPassword')}
            <input
              name="cosign-password"
              type="password"
              autoComplete="off"
              value={cosignPassword}
              onChange={(e) => setCosignPassword(e.target.value)}
            />
          </label>
        </fieldset>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary danger" disabled={busy}>
          {busy ? t('confirm.working') : t('confirm.confirm')}
        </button>
        <button type="button" onClick={() => pending.resolve(null)}>
          {t('confirm.cancel')}
        </button>
      </div>
    </form>
  );
}
