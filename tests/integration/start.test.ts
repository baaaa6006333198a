import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm start` is the README's first line: on a fresh data folder it must serve the app with the
// demo users seeded (a vite build in the same process once turned the seed off).
describe('npm start', () => {
  it('serves the app on a fresh data folder with the demo users, and says when Electron is missing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkhead-start-'));
    const child = spawn('npx', ['tsx', 'scripts/start.ts'], {
      env: { ...process.env, PORT: '0', DATA_DIR: dataDir, DATABASE_URL: '', NODE_ENV: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 90_000);
        const check = () => {
          const m = /Bulkhead server ready at (http:\/\/\S+)/.exec(out);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        };
        child.stdout.on('data', check);
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'mgr', password: 'demo1234', deviceId: 'start-test' }),
      });
      expect(login.status).toBe(200);
      const body = (await login.json()) as { memberships: { tenantId: string }[] };
      expect(body.memberships.map((m) => m.tenantId).sort()).toEqual(['acme', 'globex']);
      await expect.poll(() => out).toMatch(/Electron binary not installed|Electron/);
    } finally {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
