import { useTranslation } from 'react-i18next';
import { usePendingChanges } from '../../data/acks.js';
import { useWorkspace } from '../../data/workspace.js';
import { useSyncStatus } from '../../state/sync.js';

/** Online/offline, pending changes, last sync, and the first-sync progress bar. */
export function SyncStatus() {
  const { t } = useTranslation();
  const { online, active, lastSyncAt, error, progress } = useSyncStatus();
  const db = useWorkspace((s) => s.db);
  const tenantId = useWorkspace((s) => s.tenantId);
  const pending = usePendingChanges(db);

  return (
    <div className="sync-status" role="status" aria-live="polite" data-online={online} data-pending={pending}>
      <span className={online ? 'dot online' : 'dot offline'} aria-hidden="true" />
      <span className="sync-online">{online ? t('sync.online') : t('sync.offline')}</span>
      {active && online && <span className="sync-active">{t('sync.syncing')}</span>}
      <span className="sync-pending">
        {pending > 0 ? t('sync.pending', { count: pending }) : t('sync.allSynced')}
      </span>
      <span className="sync-last">
        {lastSyncAt
          ? t('sync.lastSync', { time: new Date(lastSyncAt).toLocaleTimeString() })
          : t('sync.never')}
      </span>
      {error && <span className="error">{t('sync.error', { message: error })}</span>}
      {progress && (
        <div className="first-sync">
          <label>
            {t('sync.firstSync', { tenant: tenantId ?? '', done: progress.done, total: progress.total })}
            <progress max={progress.total} value={progress.done} />
          </label>
        </div>
      )}
    </div>
  );
}
