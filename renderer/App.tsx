import { useTranslation } from 'react-i18next';
import { signOut, useWorkspace } from './data/workspace.js';
import { InventoryScreen } from './features/inventory/InventoryScreen.js';
import { LoginScreen } from './features/login/LoginScreen.js';
import { ReceiveForm } from './features/receive/ReceiveForm.js';
import { SyncStatus } from './features/sync/SyncStatus.js';
import { TenantSwitcher } from './features/tenants/TenantSwitcher.js';
import { useSession } from './state/session.js';

/** The application shell: sign-in, or header + the open tenant's screens. */
export function App() {
  const { t } = useTranslation();
  const user = useSession((s) => s.user);
  const opening = useWorkspace((s) => s.opening);
  const error = useWorkspace((s) => s.error);
  const db = useWorkspace((s) => s.db);

  if (!user) return <LoginScreen />;
  return (
    <div className="shell">
      <header className="topbar">
        <strong className="brand">{t('app.title')}</strong>
        <TenantSwitcher />
        <SyncStatus />
        <span className="user" data-testid="current-user">
          {user.displayName}
        </span>
        <button type="button" onClick={() => void signOut()}>
          {t('app.signOut')}
        </button>
      </header>
      <main className="content">
        {error === 'forbidden' ? (
          <p role="alert" className="error state">
            {t('errors.forbidden')}
          </p>
        ) : error ? (
          <p role="alert" className="error state">
            {t('errors.generic', { message: error })}
          </p>
        ) : null}
        {opening && <p className="state">{t('tenants.opening', { tenant: opening })}</p>}
        {db && (
          <div className="workspace">
            <InventoryScreen />
            <ReceiveForm />
          </div>
        )}
      </main>
    </div>
  );
}
