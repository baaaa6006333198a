import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UpdateStatus } from '../../../shared/ipc/contract.js';
import { platform } from '../../platform/index.js';

const POLL_MS = 60_000;

/**
 * "Update ready — restart" for the desktop app. Local writes are durable before they are
 * reported, so restarting never loses work; unsynced changes sync after the restart.
 */
export function UpdateBanner() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const check = () =>
      void platform()
        .updateStatus()
        .then((s) => alive && setStatus(s))
        .catch(() => undefined);
    check();
    const timer = setInterval(check, POLL_MS);
    window.addEventListener('focus', check);
    return () => {
      alive = false;
      clearInterval(timer);
      window.removeEventListener('focus', check);
    };
  }, []);

  if (status?.state === 'downloading') {
    return (
      <p className="banner update" role="status">
        {t('update.downloading', { version: status.version, percent: Math.round(status.percent) })}
      </p>
    );
  }
  if (status?.state !== 'ready') return null;
  return (
    <p className="banner update" role="status">
      {t('update.ready', { version: status.version })}
      <button
        type="button"
        className="primary"
        onClick={() =>
          void platform()
            .installUpdate()
            .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
        }
      >
        {t('update.restart')}
      </button>
      {error && <span className="error">{error}</span>}
    </p>
  );
}
