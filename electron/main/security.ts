/**
 * Every hardening guard of the Electron shell lives in this one module (invariant I8), so a
 * reviewer — or a security gate test — can read the whole policy in one place. Other main
 * modules call these functions; none of them sets a security-relevant option on its own.
 */
import type { IpcMainInvokeEvent, Privileges, Session, Shell, WebContents, WebPreferences } from 'electron';

/** Custom scheme the renderer is served from (never file://, which grants too much). */
export const APP_SCHEME = 'app';
/** Host part of every app URL; the origin is therefore `app://bulkhead`. */
export const APP_HOST = 'bulkhead';
/** The only origin trusted to call IPC or to be navigated to. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** First page the window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Privileges of the `app` scheme. `standard` gives it real origins and relative URL
 * resolution, `secure` makes it a secure context, `supportFetchAPI` lets the renderer fetch its
 * own assets. Deliberately NOT `bypassCSP` or `corsEnabled`.
 */
export const APP_SCHEME_PRIVILEGES = Object.freeze({
  standard: true,
  secure: true,
  supportFetchAPI: true,
} as const satisfies Privileges);

/** webPreferences every window gets, minus the preload path. */
export const SECURE_WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  // Spellcheck would send typed text to a dictionary service on some platforms.
  spellcheck: false,
  // No remote debugging surface or experimental web platform features in production.
  experimentalFeatures: false,
  // Middle-click (auxclick) must not open links outside the window-open handler's control.
  disableBlinkFeatures: 'Auxclick',
} as const satisfies WebPreferences);

/** webPreferences for the app window: the fixed secure set plus our preload. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return { ...SECURE_WEB_PREFERENCES, preload: preloadPath };
}

/**
 * Content-Security-Policy for app pages. The renderer may talk only to itself and to the sync
 * server's origin; no inline script, no eval, no plugins, no framing, no form posts.
 */
export function buildCsp(serverUrl: string): string {
  const serverOrigin = new URL(serverUrl).origin;
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React and i18n libraries set inline style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${serverOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** CSP of the static error page shown when the machine config is invalid: no script at all. */
export const ERROR_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** URL patterns the CSP header is injected into. */
export const CSP_URL_FILTER = Object.freeze([`${APP_ORIGIN}/*`]);

/** True when `url` is on our own app origin (scheme and host, nothing else). */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    // Compare scheme + host, not `origin`: WHATWG `URL.origin` is "null" for custom schemes.
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** True for URLs that may be handed to the OS browser: plain http(s), nothing else. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The parts of a Session the hardening touches (tests pass a fake). */
export type HardenableSession = Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'webRequest'
>;

/**
 * Denies every permission (camera, notifications, geolocation, HID, …) — a warehouse client
 * needs none — and injects the CSP header into every app:// response so the policy does not
 * depend on the renderer's HTML carrying a meta tag.
 */
export function hardenSession(session: HardenableSession, options: { csp: string }): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => {
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived({ urls: [...CSP_URL_FILTER] }, (details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders, options.csp) });
  });
}

/** Replaces any CSP header (whatever its case) with ours, so a response cannot weaken it. */
export function withCsp(
  headers: Record<string, string[]> | undefined,
  csp: string,
): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [csp];
  return result;
}

/** The parts of WebContents the hardening touches (tests pass a fake). */
export type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/** How external links leave the app: the OS browser, injected so tests can observe it. */
export type OpenExternal = Shell['openExternal'];

/**
 * Navigation guard for any webContents: the page may only navigate within the app origin,
 * may never open windows (http(s) links go to the OS browser instead) and may never attach a
 * <webview>.
 */
export function hardenWebContents(
  contents: HardenableContents,
  options: { openExternal: OpenExternal; onBlocked?: (what: string, url: string) => void },
): void {
  const blocked = options.onBlocked ?? (() => undefined);
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url)) {
      event.preventDefault();
      blocked('navigation', event.url);
    }
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) {
      event.preventDefault();
      blocked('redirect', event.url);
    }
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url)) {
      // Fire and forget: the OS browser opening late is fine, an unhandled rejection is not.
      options.openExternal(url).catch(() => blocked('open-external-failed', url));
    } else {
      blocked('window-open', url);
    }
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    blocked('webview', '');
  });
}

/** What isTrustedSender reads from an IPC event. */
export type SenderEvent = Pick<IpcMainInvokeEvent, 'senderFrame'> & {
  readonly sender: Pick<WebContents, 'id'>;
};

/**
 * An IPC call is trusted only if it comes from the top-level frame of OUR window's webContents
 * and that frame currently shows the app origin. This stops iframes, other windows and pages
 * that somehow navigated elsewhere from reaching the secret store.
 */
export function isTrustedSender(
  event: SenderEvent,
  trustedContents: Pick<WebContents, 'id'> | null,
): boolean {
  if (trustedContents === null || event.sender.id !== trustedContents.id) return false;
  const frame = event.senderFrame;
  // A null frame means it navigated away or was destroyed since sending: not trustworthy.
  if (frame === null) return false;
  if (frame.parent !== null) return false;
  return frame.origin === APP_ORIGIN && isAppUrl(frame.url);
}
