import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { initI18n, pickLocale } from './i18n/index.js';
import { platform } from './platform/index.js';
import { measureStep } from './data/timing.js';
import './styles.css';

async function boot(): Promise<void> {
  const start = performance.now();
  const config = await platform().getConfig();
  await initI18n(pickLocale(config.locale, navigator.language));
  measureStep('boot', start);
  const el = document.getElementById('root');
  if (!el) throw new Error('#root missing');
  createRoot(el).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

boot().catch((e: unknown) => {
  document.body.textContent = `Bulkhead could not start: ${e instanceof Error ? e.message : String(e)}`;
});
