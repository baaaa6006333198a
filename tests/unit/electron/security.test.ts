import { describe, expect, it, vi } from 'vitest';
import {
  APP_ORIGIN,
  APP_SCHEME_PRIVILEGES,
  CSP_URL_FILTER,
  SECURE_WEB_PREFERENCES,
  buildCsp,
  hardenSession,
  hardenWebContents,
  isAppUrl,
  isTrustedSender,
  secureWebPreferences,
  withCsp,
} from '../../../electron/main/security.js';
import type { HardenableContents, HardenableSession, SenderEvent } from '../../../electron/main/security.js';
import { FakeSession, FakeWebContents, fakeEvent, ipcEvent } from './fakes.js';

const EXPECTED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self' http://127.0.0.1:8787; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

describe('secureWebPreferences', () => {
  it('locks the renderer down and sets the preload', () => {
    expect(secureWebPreferences('/app/dist/electron/preload.cjs')).toEqual({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
      preload: '/app/dist/electron/preload.cjs',
    });
  });

  it('exports frozen constants for the security gate', () => {
    expect(Object.isFrozen(SECURE_WEB_PREFERENCES)).toBe(true);
    expect(Object.isFrozen(APP_SCHEME_PRIVILEGES)).toBe(true);
    expect(APP_SCHEME_PRIVILEGES).toEqual({ standard: true, secure: true, supportFetchAPI: true });
    expect(APP_ORIGIN).toBe('app://bulkhead');
  });
});

describe('buildCsp', () => {
  it('is exactly the documented policy with the server origin in connect-src', () => {
    expect(buildCsp('http://127.0.0.1:8787')).toBe(EXPECTED_CSP);
  });

  it('uses only the origin of the server URL (no path, no credentials)', () => {
    expect(buildCsp('https://wms.example.com:8443/api/v1?x=1')).toContain(
      "connect-src 'self' https://wms.example.com:8443;",
    );
  });
});

describe('hardenSession', () => {
  const setup = (): FakeSession => {
    const session = new FakeSession();
    hardenSession(session as unknown as HardenableSession, { csp: EXPECTED_CSP });
    return session;
  };

  it('denies every permission request', () => {
    const session = setup();
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      const callback = vi.fn();
      session.permissionRequestHandler?.({}, permission, callback, {});
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
    }
  });

  it('denies every permission and device check', () => {
    const session = setup();
    expect(session.permissionCheckHandler?.(null, 'media', APP_ORIGIN, {})).toBe(false);
    expect(session.permissionCheckHandler?.(null, 'clipboard-sanitized-write', APP_ORIGIN, {})).toBe(false);
    expect(session.devicePermissionHandler?.({ deviceType: 'usb', origin: APP_ORIGIN })).toBe(false);
  });

  it('injects the CSP into app:// responses, replacing any existing one', () => {
    const session = setup();
    expect(session.headersFilter).toEqual({ urls: [...CSP_URL_FILTER] });
    expect(CSP_URL_FILTER).toEqual(['app://bulkhead/*']);
    const callback = vi.fn();
    session.headersListener?.(
      {
        url: 'app://bulkhead/index.html',
        responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] },
      },
      callback,
    );
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [EXPECTED_CSP] },
    });
  });

  it('withCsp works without any headers', () => {
    expect(withCsp(undefined, 'x')).toEqual({ 'Content-Security-Policy': ['x'] });
  });
});

describe('hardenWebContents', () => {
  const setup = () => {
    const contents = new FakeWebContents(1);
    const openExternal = vi.fn((_url: string) => Promise.resolve());
    const onBlocked = vi.fn();
    hardenWebContents(contents as unknown as HardenableContents, { openExternal, onBlocked });
    return { contents, openExternal, onBlocked };
  };

  it.each(['will-navigate', 'will-redirect'])('%s: other origins are prevented', (name) => {
    const { contents } = setup();
    for (const url of [
      'https://evil.example/',
      'http://127.0.0.1:8787/',
      'file:///etc/passwd',
      'app://other/index.html',
      'javascript:alert(1)',
      'not a url',
    ]) {
      const event = fakeEvent({ url });
      contents.emit(name, event);
      expect(event.defaultPrevented, url).toBe(true);
    }
  });

  it.each(['will-navigate', 'will-redirect'])('%s: the app origin is allowed', (name) => {
    const { contents } = setup();
    const event = fakeEvent({ url: 'app://bulkhead/index.html#/items' });
    contents.emit(name, event);
    expect(event.defaultPrevented).toBe(false);
  });

  it('denies window.open; http(s) links go to the OS browser, others nowhere', () => {
    const { contents, openExternal } = setup();
    expect(contents.windowOpenHandler?.({ url: 'https://docs.example.com/help' })).toEqual({
      action: 'deny',
    });
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://docs.example.com/help');
    for (const url of [
      'file:///etc/passwd',
      'app://bulkhead/index.html',
      'smb://share/x',
      'javascript:alert(1)',
    ]) {
      expect(contents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' });
    }
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('a failing openExternal does not surface as an unhandled rejection', async () => {
    const contents = new FakeWebContents(1);
    const onBlocked = vi.fn();
    hardenWebContents(contents as unknown as HardenableContents, {
      openExternal: () => Promise.reject(new Error('no browser')),
      onBlocked,
    });
    contents.windowOpenHandler?.({ url: 'https://x.example/' });
    await vi.waitFor(() =>
      expect(onBlocked).toHaveBeenCalledWith('open-external-failed', 'https://x.example/'),
    );
  });

  it('prevents attaching a webview', () => {
    const { contents } = setup();
    const event = fakeEvent({});
    contents.emit('will-attach-webview', event, {}, { src: 'https://evil.example/' });
    expect(event.defaultPrevented).toBe(true);
  });
});

describe('isTrustedSender', () => {
  const ours = { id: 1 };
  const check = (event: unknown, contents: { id: number } | null = ours): boolean =>
    isTrustedSender(event as SenderEvent, contents);

  it('trusts the main frame of our window on the app origin', () => {
    expect(check(ipcEvent({}))).toBe(true);
  });

  it('rejects another webContents', () => {
    expect(check(ipcEvent({ senderId: 2 }))).toBe(false);
  });

  it('rejects when our window is gone', () => {
    expect(check(ipcEvent({}), null)).toBe(false);
  });

  it('rejects subframes, destroyed frames and other origins', () => {
    expect(check(ipcEvent({ isMainFrame: false }))).toBe(false);
    expect(check(ipcEvent({ frame: null }))).toBe(false);
    expect(check(ipcEvent({ origin: 'https://evil.example' }))).toBe(false);
    expect(check(ipcEvent({ origin: 'app://bulkhead', url: 'https://evil.example/' }))).toBe(false);
    expect(check(ipcEvent({ origin: 'file://' }))).toBe(false);
  });
});

describe('isAppUrl', () => {
  it('matches scheme and host only', () => {
    expect(isAppUrl('app://bulkhead/')).toBe(true);
    expect(isAppUrl('APP://BULKHEAD/x')).toBe(false);
    expect(isAppUrl('app://bulkhead.evil/')).toBe(false);
    expect(isAppUrl('app://user@bulkhead/')).toBe(true);
  });
});
