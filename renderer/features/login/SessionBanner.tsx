import { useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, NetworkError } from '../../data/api.js';
import { reauthenticate, useWorkspace } from '../../data/workspace.js';
import { useSession } from '../../state/session.js';
import { useSyncStatus } from '../../state/sync.js';

/**
 * Session notices above the screens: offline sign-in, "sign in again to sync" with an inline
 * password field (nothing is closed, unsynced work stays), and access-ended notices.
 */
export function SessionBanner() {
  const { t } = useTranslation();
  const offline = useSession((s) => s.offline);
  const online = useSyncStatus((s) => s.online);
  const needsSignIn = useWorkspace((s) => s.needsSignIn);
  const notice = useWorkspace((s) => s.notice);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await reauthenticate(password);
      setPassword('');
    } catch (err) {
      setError(
        err instanceof NetworkError
          ? t('login.unreachable')
          : t('login.failed', {
              message: err instanceof ApiError || err instanceof Error ? err.message : String(err),
            }),
      );
    } finally {
      setBusy(false);
    }
  };

  const askPassword = needsSignIn || (offline && online);
  return (
    <>
      {notice && (
        <p role="status" className="banner notice" data-testid="notice">
          {t(notice.key, { tenant: notice.tenant ?? '' })}
        </p>
      )}
      {offline && !askPassword && (
        <p role="status" className="banner offline">
          {t('session.offline')}
        </p>
      )}
      {askPassword && (
        <form className="banner reauth" onSubmit={(e) => void submit(e)}>
          <span>{t('session.needsSignIn')}</span>
          <label>
            {t('session.password')}
            <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {t('session.signInAgain')}
          </button>
          {error && (
            <span role="alert" className="error">
              {error}
            </span>
          )}
        </form>
      )}
    </>
  );
}
