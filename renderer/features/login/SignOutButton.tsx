import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { signOut, unsyncedOnSignOut } from '../../data/workspace.js';

/**
 * Sign out. Where a client wipes this PC's data at sign-out (shared PCs), changes that have not
 * reached the server would be destroyed with it: the user is told how many, and signs out only by
 * choosing to discard them (nothing is lost silently, I6). Escape or "Stay signed in" keeps them.
 */
export function SignOutButton() {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [unsynced, setUnsynced] = useState(0);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (unsynced > 0 && !d.open) d.showModal();
    else if (unsynced === 0 && d.open) d.close();
  }, [unsynced]);

  const leave = async () => {
    setUnsynced(0);
    setBusy(true);
    try {
      await signOut();
    } finally {
      setBusy(false);
    }
  };
  const start = async () => {
    setBusy(true);
    let n = 0;
    try {
      n = await unsyncedOnSignOut();
    } finally {
      setBusy(false);
    }
    if (n > 0) setUnsynced(n);
    else await leave();
  };

  return (
    <>
      <button type="button" disabled={busy} onClick={() => void start()}>
        {busy ? t('app.signingOut') : t('app.signOut')}
      </button>
      <dialog
        ref={dialog}
        className="card signout-dialog"
        aria-labelledby="signout-title"
        onCancel={(e) => {
          e.preventDefault();
          setUnsynced(0);
        }}
      >
        <h2 id="signout-title">{t('app.unsyncedTitle')}</h2>
        <p>{t('app.unsyncedBody', { count: unsynced })}</p>
        <div className="actions">
          <button type="button" autoFocus onClick={() => setUnsynced(0)}>
            {t('app.staySignedIn')}
          </button>
          <button type="button" className="primary danger" onClick={() => void leave()}>
            {t('app.discardAndSignOut', { count: unsynced })}
          </button>
        </div>
      </dialog>
    </>
  );
}
