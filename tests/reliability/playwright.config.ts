import { defineConfig } from '@playwright/test';

// Chosen once here, so every worker (a failed schedule restarts it) plays the same seeds and adds
// its results to the same run.
process.env['RELIABILITY_SEED'] ??= String(Math.floor(Math.random() * 1e9));
process.env['RELIABILITY_RUN_ID'] ??= `${Date.now()}-${process.pid}`;

/**
 * Fault injection (issue #7): randomized schedules of real clients (the renderer's data layer in
 * Debian's Chromium) behind fault proxies, against a server that restarts. `npm test` runs 20
 * schedules; `npm run test:soak` runs 200 (RELIABILITY_SCHEDULES). One worker: the schedules
 * share one server and play one after another.
 */
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts/,
  timeout: 240_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../test-results/reliability',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
  },
});
