import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { can } from '../shared/access/policy.js';
import { useWorkspace } from './data/workspace.js';
import { AlertsScreen } from './features/alerts/AlertsScreen.js';
import { AttentionBadge } from './features/attention/AttentionBadge.js';
import { AttentionScreen } from './features/attention/AttentionScreen.js';
import { AuditScreen } from './features/audit/AuditScreen.js';
import { ConfirmDialog } from './features/confirm/ConfirmDialog.js';
import { DashboardScreen } from './features/dashboard/DashboardScreen.js';
import { FLOOR_VIEWS, FloorShortcuts, isFloorView } from './features/floor/FloorChrome.js';
import { FloorScreen } from './features/floor/FloorScreen.js';
import { GrantsScreen } from './features/grants/GrantsScreen.js';
import { InventoryScreen } from './features/inventory/InventoryScreen.js';
import { LanguageSwitcher } from './features/language/LanguageSwitcher.js';
import { SessionBanner } from './features/login/SessionBanner.js';
import { SignOutButton } from './features/login/SignOutButton.js';
import { PolicyScreen } from './features/policy/PolicyScreen.js';
import { PrintScreen } from './features/print/PrintScreen.js';
import { ReceiveForm } from './features/receive/ReceiveForm.js';
import { ReportsScreen } from './features/reports/ReportsScreen.js';
import { isSiteAdmin } from './features/sites/model.js';
import { SitesScreen } from './features/sites/SitesScreen.js';
import { SyncStatus } from './features/sync/SyncStatus.js';
import { TenantSwitcher } from './features/tenants/TenantSwitcher.js';
import { UpdateBanner } from './features/update/UpdateBanner.js';
import { useNav, type View } from './state/nav.js';
import { principalOf, useSession } from './state/session.js';

/**
 * The signed-in application: header, navigation and the chosen screen. Loaded on its own, after
 * the sign-in form (App.tsx): the data layer (RxDB) and the screens are most of the bundle, and the
 * form should take input before they are compiled.
 */
export function Shell() {
  const { t } = useTranslation();
  const session = useSession();
  const opening = useWorkspace((s) => s.opening);
  const error = useWorkspace((s) => s.error);
  const db = useWorkspace((s) => s.db);
  const tenantId = useWorkspace((s) => s.tenantId);
  const view = useNav((s) => s.view);
  const go = (v: View) => useNav.getState().go(v);

  if (!session.user) return null;
  const principal = principalOf(session);
  const isAdmin = tenantId !== null && principal !== null && can(principal, tenantId, 'policy:edit');
  const mayAlerts = tenantId !== null && principal !== null && can(principal, tenantId, 'alerts:read');
  const tabs: { view: View; label: string; badge?: ReactNode }[] = [
    { view: 'inventory', label: t('inventory.title') },
    ...FLOOR_VIEWS.map((v) => ({ view: v, label: t(`floor.nav.${v}`) })),
    { view: 'dashboard', label: t('dashboard.title') },
    { view: 'reports', label: t('reports.title') },
    { view: 'print', label: t('print.title') },
    { view: 'grants', label: t('grants.title') },
    ...(isAdmin ? [{ view: 'policy' as const, label: t('policy.title') }] : []),
    // Site-wide: admins of any client, whichever client is open.
    ...(isSiteAdmin(principal) ? [{ view: 'sites' as const, label: t('sites.title') }] : []),
    // Every role: operators read their own entries.
    { view: 'audit', label: t('audit.title') },
    ...(mayAlerts ? [{ view: 'alerts' as const, label: t('alerts.title') }] : []),
    { view: 'attention', label: t('attention.title'), badge: <AttentionBadge /> },
  ];
  const current = tabs.some((x) => x.view === view) ? view : 'inventory';

  return (
    <div className="shell">
      <header className="topbar">
        <strong className="brand">{t('app.title')}</strong>
        <TenantSwitcher />
        <SyncStatus />
        <span className="user" data-testid="current-user">
          {session.user.displayName}
        </span>
        <LanguageSwitcher />
        <SignOutButton />
      </header>
      <nav className="tabs" aria-label={t('app.title')}>
        {tabs.map((x) => (
          <button
            key={x.view}
            type="button"
            className={x.view === current ? 'tab active' : 'tab'}
            aria-current={x.view === current ? 'page' : undefined}
            onClick={() => go(x.view)}
          >
            {x.label}
            {x.badge}
          </button>
        ))}
      </nav>
      <UpdateBanner />
      <SessionBanner />
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
        {current === 'inventory' && db && (
          <div className="workspace">
            <InventoryScreen />
            <ReceiveForm />
          </div>
        )}
        {isFloorView(current) && db && <FloorScreen view={current} />}
        {current === 'dashboard' && <DashboardScreen />}
        {current === 'reports' && <ReportsScreen />}
        {current === 'print' && <PrintScreen />}
        {current === 'grants' && <GrantsScreen />}
        {current === 'policy' && <PolicyScreen />}
        {current === 'sites' && <SitesScreen />}
        {current === 'audit' && <AuditScreen />}
        {current === 'alerts' && <AlertsScreen />}
        {current === 'attention' && <AttentionScreen />}
      </main>
      <ConfirmDialog />
      <FloorShortcuts />
    </div>
  );
}
