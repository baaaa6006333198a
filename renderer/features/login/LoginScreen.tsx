import { useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, NetworkError } from '../../data/api.js';
import { OfflineLoginError } from '../../data/offline-auth.js';

/** Online sign-in (offline sign-in with a signed ticket arrives with the access issue). */
export function LoginScreen() {
  const { t } = useTranslation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const offlineMessage = (err: OfflineLoginError): string => {
    switch (err.code) {
      case 'no-offline-data':
        return t('login.offlineNoData');
      case 'bad-password':
        return t('login.offlineBadPassword');
      case 'locked':
        return t('login.offlineLocked', { time: new Date(err.retryAt ?? Date.now()).toLocaleTimeString() });
      case 'ticket-invalid':
        return t('login.offlineTicketInvalid');
      case 'ticket-expired':
        return t('login.offlineTicketExpired');
    }
  };

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // The data layer is a chunk of its own (App.tsx), loaded while the form was shown.
      const { signIn } = await import('../../data/workspace.js');
      await signIn(username.trim(), password);
    } catch (err) {
      if (err instanceof OfflineLoginError) setError(offlineMessage(err));
      else if (err instanceof NetworkError) setError(t('login.unreachable'));
      else if (err instanceof ApiError) setError(t('login.failed', { message: err.message }));
      else setError(t('login.failed', { message: err instanceof Error ? err.message : String(err) }));
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="card login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          {t('app.title')} — {t('login.title')}
        </h1>
        <label>
          {t('login.username')}
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          {t('login.password')}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
        <p className="hint">{t('login.demoHint')}</p>
      </form>
    </main>
  );
}
