import { _electron as electron, expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { findElectronBinary } from '../../../scripts/electron-launch.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

// Only for machines that have the Electron binary: `npm run test:e2e:electron`. Our build
// machines cannot download it, so `npm test` runs the same scenarios in Chromium instead.
let server: TestServer;

test.beforeAll(async () => {
  if (!findElectronBinary())
    throw new Error('Electron binary not installed: run this project where it can be downloaded');
  execFileSync('npx', ['tsx', 'scripts/build-electron.ts'], { stdio: 'inherit' });
  server = await startTestServer({ backend: 'pglite', seed: { itemsPerTenant: 50 } });
});
test.afterAll(async () => {
  await server?.close();
});

test('the packaged shell signs in and shows inventory through the bridge', async () => {
  const app = await electron.launch({
    args: ['dist/electron/main.cjs'],
    env: { ...process.env, BULKHEAD_SERVER_URL: server.url },
  });
  const page = await app.firstWindow();
  expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe(
    'undefined',
  );
  expect(
    await page.evaluate(() => Object.isFrozen((window as unknown as { bulkhead: object }).bulkhead)),
  ).toBe(true);
  await page.getByLabel(/username/i).fill('op.acme');
  await page.getByLabel(/password/i).fill('demo1234');
  await page.getByLabel(/password/i).press('Enter');
  await expect(page.getByTestId('inventory-count')).toContainText('of 50', { timeout: 60_000 });
  await app.close();
});
