import nodePath from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  createAppProtocolHandler,
  createErrorPageHandler,
  mimeTypeFor,
  renderErrorPage,
  resolveAppAsset,
} from '../../../electron/main/protocol.main.js';

const ROOT = '/app/dist/renderer';

describe('resolveAppAsset (path traversal guard)', () => {
  it('maps app URLs to files inside the root', () => {
    expect(resolveAppAsset(ROOT, 'app://bulkhead/index.html')).toEqual({
      ok: true,
      filePath: `${ROOT}/index.html`,
    });
    expect(resolveAppAsset(ROOT, 'app://bulkhead/')).toEqual({ ok: true, filePath: `${ROOT}/index.html` });
    expect(resolveAppAsset(ROOT, 'app://bulkhead/assets/app-1a2b.js?v=1#x')).toEqual({
      ok: true,
      filePath: `${ROOT}/assets/app-1a2b.js`,
    });
    expect(resolveAppAsset(ROOT, 'app://bulkhead/fonts/Noto%20Sans.woff2')).toEqual({
      ok: true,
      filePath: `${ROOT}/fonts/Noto Sans.woff2`,
    });
  });

  it.each([
    'app://bulkhead/../../etc/passwd',
    'app://bulkhead/%2e%2e/%2e%2e/etc/passwd',
    'app://bulkhead/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    'app://bulkhead/assets/..%2f..%2f..%2fetc%2fpasswd',
    'app://bulkhead/..%5c..%5cetc%5cpasswd',
    'app://bulkhead//etc/passwd',
    'app://bulkhead/%2Fetc%2Fpasswd',
    'app://bulkhead/%252e%252e/etc/passwd',
  ])('never leaves the root: %s', (url) => {
    const result = resolveAppAsset(ROOT, url);
    if (result.ok) {
      // Normalised by the URL parser into a path that is still inside the root: harmless.
      expect(nodePath.relative(ROOT, result.filePath).startsWith('..')).toBe(false);
      expect(result.filePath.startsWith(`${ROOT}/`)).toBe(true);
      expect(result.filePath).not.toBe('/etc/passwd');
    } else {
      expect(result.status).toBe(404);
    }
  });

  it('refuses decoded escapes with 404', () => {
    expect(resolveAppAsset(ROOT, 'app://bulkhead/assets/..%2f..%2f..%2fetc%2fpasswd')).toEqual({
      ok: false,
      status: 404,
    });
    expect(resolveAppAsset(ROOT, 'app://bulkhead/..%2F..%2F..%2F..%2Fetc%2Fpasswd')).toEqual({
      ok: false,
      status: 404,
    });
    expect(resolveAppAsset(ROOT, 'app://bulkhead/%2e%2e%2f%2e%2e%2fsecret')).toEqual({
      ok: false,
      status: 404,
    });
  });

  it('refuses absolute paths, backslashes and colons with 404', () => {
    for (const url of [
      'app://bulkhead//etc/passwd',
      'app://bulkhead/%2Fetc%2Fpasswd',
      'app://bulkhead/..%5c..%5cetc%5cpasswd',
      'app://bulkhead/index.html::$DATA',
    ]) {
      expect(resolveAppAsset(ROOT, url), url).toEqual({ ok: false, status: 404 });
    }
  });

  it('refuses other hosts and schemes, NUL bytes and malformed escapes', () => {
    expect(resolveAppAsset(ROOT, 'app://other/index.html')).toEqual({ ok: false, status: 404 });
    expect(resolveAppAsset(ROOT, 'file:///etc/passwd')).toEqual({ ok: false, status: 404 });
    expect(resolveAppAsset(ROOT, 'app://bulkhead/index.html%00.png')).toEqual({ ok: false, status: 400 });
    expect(resolveAppAsset(ROOT, 'app://bulkhead/%E0%A4%A')).toEqual({ ok: false, status: 400 });
    expect(resolveAppAsset(ROOT, 'not a url')).toEqual({ ok: false, status: 400 });
  });

  it('applies Windows path rules: backslashes, drive letters and UNC paths', () => {
    const root = 'C:\\Program Files\\Bulkhead\\resources\\app\\dist\\renderer';
    const win = nodePath.win32;
    expect(resolveAppAsset(root, 'app://bulkhead/assets/a.js', win)).toEqual({
      ok: true,
      filePath: `${root}\\assets\\a.js`,
    });
    for (const url of [
      'app://bulkhead/..%5c..%5c..%5cWindows%5cwin.ini',
      'app://bulkhead/C:%5cWindows%5cwin.ini',
      'app://bulkhead/C:/Windows/win.ini',
      'app://bulkhead/%5c%5cserver%5cshare%5cx',
      'app://bulkhead/D:..%5csecret',
    ]) {
      expect(resolveAppAsset(root, url, win), url).toEqual({ ok: false, status: 404 });
    }
  });
});

describe('createAppProtocolHandler', () => {
  const files: Record<string, string> = {
    [`${ROOT}/index.html`]: '<!doctype html><title>Bulkhead</title>',
    [`${ROOT}/assets/app.js`]: 'console.log(1)',
  };
  const readFile = vi.fn((filePath: string) =>
    filePath in files
      ? Promise.resolve(new TextEncoder().encode(files[filePath]))
      : Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
  );
  const handler = createAppProtocolHandler({ root: ROOT, readFile, csp: "default-src 'self'" });

  it('serves files with their MIME type, CSP and nosniff', async () => {
    const page = await handler(new Request('app://bulkhead/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>Bulkhead</title>');
    const script = await handler(new Request('app://bulkhead/assets/app.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 for missing files and traversal, without reading outside the root', async () => {
    readFile.mockClear();
    expect((await handler(new Request('app://bulkhead/missing.js'))).status).toBe(404);
    expect((await handler(new Request('app://bulkhead/..%2f..%2f..%2fetc%2fpasswd'))).status).toBe(404);
    expect((await handler(new Request('app://bulkhead/%2e%2e/%2e%2e/%2e%2e/etc/passwd'))).status).toBe(404);
    for (const [filePath] of readFile.mock.calls) expect(filePath.startsWith(`${ROOT}/`)).toBe(true);
  });

  it('allows only GET and HEAD', async () => {
    expect(
      (await handler(new Request('app://bulkhead/index.html', { method: 'POST', body: 'x' }))).status,
    ).toBe(405);
    const head = await handler(new Request('app://bulkhead/index.html', { method: 'HEAD' }));
    expect(head.status).toBe(200);
  });
});

describe('mimeTypeFor', () => {
  it.each([
    ['a.css', 'text/css; charset=utf-8'],
    ['a.mjs', 'text/javascript; charset=utf-8'],
    ['a.svg', 'image/svg+xml'],
    ['a.woff2', 'font/woff2'],
    ['a.wasm', 'application/wasm'],
    ['A.PNG', 'image/png'],
    ['a.exe', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('%s → %s', (file, type) => expect(mimeTypeFor(file)).toBe(type));
});

describe('error page', () => {
  it('escapes the message and serves it only for pages', async () => {
    const html = renderErrorPage(
      'Config error',
      'Config file /etc/bulkhead/config.json is invalid: <script>x</script>',
    );
    expect(html).not.toContain('<script>');
    expect(html).toContain('/etc/bulkhead/config.json');
    const handler = createErrorPageHandler(html, "default-src 'none'");
    const page = await handler(new Request('app://bulkhead/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect((await handler(new Request('app://bulkhead/assets/app.js'))).status).toBe(404);
  });
});
