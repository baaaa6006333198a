import { lazy, Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitcher } from './features/language/LanguageSwitcher.js';
import { LoginScreen } from './features/login/LoginScreen.js';
import { useSession } from './state/session.js';

/** The signed-in application (Shell.tsx) with the data layer: a chunk of its own. */
const loadShell = () => import('./Shell.js');
const Shell = lazy(() => loadShell().then((m) => ({ default: m.Shell })));

/**
 * The application: the sign-in form, or the signed-in shell. The form is shown before the shell's
 * code is even compiled (most of the bundle), which is then loaded while the user types.
 */
export function App() {
  const { t } = useTranslation();
  const signedIn = useSession((s) => s.user !== null);
  useEffect(() => {
    if (signedIn) return;
    // After the form is drawn: compile the rest while the user types (sign-in waits for it if not).
    const idle = globalThis.requestIdleCallback as typeof requestIdleCallback | undefined;
    const preload = () => void loadShell().catch(() => undefined);
    if (typeof idle !== 'function') return preload();
    const handle = idle(preload, { timeout: 200 });
    return () => globalThis.cancelIdleCallback(handle);
  }, [signedIn]);
  if (!signedIn)
    return (
      <>
        <LoginScreen />
        <div className="login-language">
          <LanguageSwitcher />
        </div>
      </>
    );
  return (
    <Suspense fallback={<p className="state">{t('app.loading')}</p>}>
      <Shell />
    </Suspense>
  );
}
