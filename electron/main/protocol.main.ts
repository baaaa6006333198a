/**
 * Serves the built renderer over `app://bulkhead/…`. The handler maps a URL to a file strictly
 * inside the renderer root; anything else — `..`, encoded `..`, absolute or drive paths,
 * another host — is a 404, so a compromised page cannot read arbitrary files through it.
 */
import nodePath from 'node:path';
import { APP_HOST, APP_SCHEME } from './security.js';

/** Content types by extension; unknown files are served as opaque bytes. */
export const MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
});

/** Content type for a file path. */
export function mimeTypeFor(filePath: string): string {
  return MIME_TYPES[nodePath.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/** Path functions; injectable so tests can check Windows path rules on Linux. */
export type PathApi = Pick<typeof nodePath, 'resolve' | 'relative' | 'isAbsolute' | 'sep'>;

/** Outcome of mapping a request URL to a file. */
export type AssetResolution =
  { readonly ok: true; readonly filePath: string } | { readonly ok: false; readonly status: 400 | 404 };

/**
 * Maps an app URL to an absolute file path inside `root`, or refuses. The check is done on the
 * resolved path (resolve, then verify it is still under root) rather than by filtering
 * strings, because decoding and platform separators make string filters easy to bypass.
 */
export function resolveAppAsset(
  root: string,
  requestUrl: string,
  pathApi: PathApi = nodePath,
): AssetResolution {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { ok: false, status: 404 };

  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  // NUL bytes truncate paths in some native layers; no legitimate asset name has one.
  if (decoded.includes('\0')) return { ok: false, status: 400 };

  // Backslashes and colons (drive letters, UNC paths, NTFS alternate streams) mean different
  // things per OS and never occur in built asset names, so refuse them outright.
  if (decoded.includes('\\') || decoded.includes(':')) return { ok: false, status: 404 };

  // The pathname always starts with exactly one '/'; anything still absolute after removing
  // it (`//etc/passwd`) is an attempt to name a path outside the root.
  const relativeRequest = decoded.slice(1);
  if (pathApi.isAbsolute(relativeRequest)) return { ok: false, status: 404 };
  const wanted = relativeRequest === '' ? 'index.html' : relativeRequest;
  const absoluteRoot = pathApi.resolve(root);
  const resolved = pathApi.resolve(absoluteRoot, wanted);
  const inside = pathApi.relative(absoluteRoot, resolved);
  if (
    inside === '' ||
    inside === '..' ||
    inside.startsWith(`..${pathApi.sep}`) ||
    pathApi.isAbsolute(inside)
  ) {
    return { ok: false, status: 404 };
  }
  return { ok: true, filePath: resolved };
}

/** Reads a file; rejects with a Node-style error (code ENOENT, EISDIR, …) when it cannot. */
export type ReadAsset = (filePath: string) => Promise<Uint8Array>;

/** Options of the app protocol handler. */
export type AppProtocolOptions = {
  readonly root: string;
  readonly readFile: ReadAsset;
  /** CSP sent with every response (also injected by the session; sending it here is cheap). */
  readonly csp: string;
  readonly pathApi?: PathApi;
};

function textResponse(status: number, body: string, csp: string): Response {
  return new Response(body, {
    status,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

/** Builds the `protocol.handle('app', …)` handler serving files from the renderer root. */
export function createAppProtocolHandler(
  options: AppProtocolOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return textResponse(405, 'Method Not Allowed', options.csp);
    }
    const resolution = resolveAppAsset(options.root, request.url, options.pathApi);
    if (!resolution.ok) {
      return textResponse(
        resolution.status,
        resolution.status === 404 ? 'Not Found' : 'Bad Request',
        options.csp,
      );
    }
    let body: Uint8Array;
    try {
      body = await options.readFile(resolution.filePath);
    } catch {
      // Missing file, directory, permission problem: all look the same to the page.
      return textResponse(404, 'Not Found', options.csp);
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: {
        'Content-Type': mimeTypeFor(resolution.filePath),
        'Content-Security-Policy': options.csp,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  };
}

/** Static page shown instead of the app when the machine config cannot be used. */
export function renderErrorPage(title: string, details: string): string {
  const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:15px system-ui,sans-serif;margin:3em;max-width:48em;color:#222}pre{white-space:pre-wrap;background:#f4f4f4;padding:1em}</style>
</head><body><h1>${escape(title)}</h1><pre>${escape(details)}</pre>
<p>Ask IT to correct the configuration file, then restart Bulkhead.</p></body></html>`;
}

/** Handler that answers every app:// request with the error page. */
export function createErrorPageHandler(html: string, csp: string): (request: Request) => Promise<Response> {
  return (request) => {
    const isPage = new URL(request.url).pathname.endsWith('.html') || new URL(request.url).pathname === '/';
    if (!isPage) return Promise.resolve(textResponse(404, 'Not Found', csp));
    return Promise.resolve(
      new Response(html, {
        status: 200,
        headers: {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': csp,
          'X-Content-Type-Options': 'nosniff',
        },
      }),
    );
  };
}
