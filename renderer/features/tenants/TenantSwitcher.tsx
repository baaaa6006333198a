import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { currentTenants, switchTenant, useWorkspace } from '../../data/workspace.js';
import { useSession } from '../../state/session.js';

/** Authorized tenants only, one click (or Ctrl+1…9) to switch; the old partition closes. */
export function TenantSwitcher() {
  const { t } = useTranslation();
  const user = useSession((s) => s.user);
  const memberships = useSession((s) => s.memberships);
  // Re-evaluated at every membership start/expiry (the workspace's timer bumps the tick).
  const clockTick = useSession((s) => s.clockTick);
  const active = useWorkspace((s) => s.tenantId);
  const opening = useWorkspace((s) => s.opening);
  const tenants = useMemo(
    () => (user && clockTick >= 0 ? currentTenants(memberships, user.id) : []),
    [user, memberships, clockTick],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.ctrlKey || e.altKey || e.metaKey) return;
      const n = Number(e.key);
      if (!Number.isInteger(n) || n < 1 || n > 9) return;
      const target = tenants[n - 1];
      if (target) {
        e.preventDefault();
        void switchTenant(target).catch(() => undefined);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [tenants]);

  if (tenants.length === 0) return <span className="tenant-none">{t('tenants.none')}</span>;
  return (
    <nav className="tenant-switcher" aria-label={t('tenants.label')}>
      {tenants.map((id, i) => {
        const role = memberships.find((m) => m.tenantId === id)?.role;
        return (
          <button
            key={id}
            type="button"
            data-tenant={id}
            aria-pressed={id === active}
            className={id === active ? 'tenant active' : 'tenant'}
            disabled={opening !== null}
            title={t('tenants.switchHint', { n: i + 1 })}
            onClick={() => void switchTenant(id).catch(() => undefined)}
          >
            {id}
            {role && <span className="role"> · {role}</span>}
          </button>
        );
      })}
    </nav>
  );
}
