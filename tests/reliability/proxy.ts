/**
 * A controllable HTTP proxy between one client page and the sync server. It serves the client's
 * app shell itself (as the desktop app loads its renderer from disk, the page never depends on
 * the network) and forwards `/api/*` to whatever server is current, injecting faults:
 *
 * - offline: every connection is refused, open ones (the event stream) are cut;
 * - drop: the request never reaches the server, the connection is destroyed;
 * - delay: the request waits before it is forwarded;
 * - reset-before: half the body reaches the server, then both sides are cut (nothing applied);
 * - reset-after: the server answers in full, the client's connection is cut before it sees it
 *   (applied, but the client does not know: it must retry idempotently);
 * - duplicate: the request is sent to the server twice (concurrently); the client gets one answer;
 * - reorder: the request is held until the next one has been forwarded, then sent.
 *
 * Decisions come from a seeded generator (`rand`), so a schedule's fault mix is reproducible; the
 * exact interleaving with the network is not, which is what the oracle must tolerate anyway.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultKind = 'drop' | 'delay' | 'reset-before' | 'reset-after' | 'duplicate' | 'reorder';

/** Probabilities per forwarded request (the rest pass untouched). */
export type FaultProfile = Partial<Record<FaultKind, number>> & {
  delayMs?: [number, number];
  /** Only requests whose path contains this string are faulted (all when absent). */
  only?: string;
};

/** One forwarded API request: its path, the fault applied, and whether the client got an answer. */
export type ProxyLogEntry = { path: string; fault: FaultKind | null; answered: boolean };

export type FaultProxy = {
  url: string;
  port: number;
  /** Counts of faults injected so far, by kind (plus `offline-refused` connections). */
  counts: Record<string, number>;
  /** Every API request that reached the proxy while online (the event stream excluded). */
  log: ProxyLogEntry[];
  setOffline(offline: boolean): void;
  readonly offline: boolean;
  setProfile(p: FaultProfile): void;
  /**
   * Hold requests whose path contains `only` until the returned function is called: at the
   * 'request' (not forwarded yet: the server answers with its state at release) or at the 'answer'
   * (the server has applied it; the PC still waits).
   */
  hold(only: string, at: 'request' | 'answer'): () => void;
  /** How many requests whose path contains `only` wait at a hold now. */
  holding(only: string): number;
  close(): Promise<void>;
};

export type ProxyOptions = {
  /** Where the server is now (it moves nowhere on restart, but a test may point elsewhere). */
  target: () => string;
  /** The app shell: path → [content type, body]. */
  assets: Map<string, [string, string | Buffer]>;
  rand: () => number;
};

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

function headersOf(h: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

export async function startFaultProxy(o: ProxyOptions): Promise<FaultProxy> {
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  let offline = false;
  let profile: FaultProfile = {};
  const sockets = new Set<Socket>();
  let held: (() => void) | null = null;
  type Gate = { only: string; at: 'request' | 'answer'; waiting: number; open: Promise<void> };
  const gates = new Set<Gate>();
  const pass = async (g: Gate | undefined) => {
    if (!g) return;
    g.waiting += 1;
    await g.open;
    g.waiting -= 1;
  };

  const log: ProxyLogEntry[] = [];
  const pick = (path: string): FaultKind | null => {
    if (profile.only !== undefined && !path.includes(profile.only)) return null;
    const r = o.rand();
    let acc = 0;
    for (const k of ['drop', 'delay', 'reset-before', 'reset-after', 'duplicate', 'reorder'] as const) {
      acc += profile[k] ?? 0;
      if (r < acc) return k;
    }
    return null;
  };

  /** One upstream exchange; resolves with the buffered answer (or rejects when the server is away). */
  const forward = (
    req: http.IncomingMessage,
    body: Buffer,
    onResponse?: (res: http.IncomingMessage) => void,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const target = new URL(req.url ?? '/', o.target());
      const up = http.request(
        target,
        { method: req.method, headers: { ...headersOf(req.headers), host: target.host }, agent: false },
        (res) => {
          if (onResponse) {
            onResponse(res);
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
          res.on('aborted', () => reject(new Error('upstream aborted')));
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const asset = o.assets.get(path === '/' ? '/index.html' : path);
    if (asset) {
      res.writeHead(200, { 'content-type': asset[0], 'cache-control': 'no-store' });
      res.end(asset[1]);
      return;
    }
    if (offline) {
      bump('offline-refused');
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks)));
  });

  const cut = (res: http.ServerResponse) => res.socket?.destroy();

  const reply = (
    res: http.ServerResponse,
    a: { status: number; headers: http.IncomingHttpHeaders; body: Buffer },
  ) => {
    if (res.destroyed) return;
    const h = headersOf(a.headers);
    delete h['content-length'];
    res.writeHead(a.status, h);
    res.end(a.body);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const isStream = (req.url ?? '').includes('/sync/stream');
    if (isStream) {
      // The event stream passes through live; only offline (and server restarts) cut it.
      try {
        await forward(req, body, (up) => {
          res.writeHead(up.statusCode ?? 502, headersOf(up.headers));
          up.pipe(res);
          up.on('aborted', () => cut(res));
          up.on('error', () => cut(res));
          res.on('close', () => up.destroy());
        });
      } catch {
        cut(res);
      }
      return;
    }
    // Anything waiting for "the next request" goes now, after this one.
    const release = held;
    held = null;
    const entry: ProxyLogEntry = {
      path: (req.url ?? '').split('?')[0] ?? '',
      fault: pick(req.url ?? ''),
      answered: false,
    };
    log.push(entry);
    const fault = entry.fault;
    if (fault) bump(fault);
    res.on('finish', () => (entry.answered = true));
    try {
      const gate = (at: Gate['at']) => [...gates].find((g) => g.at === at && entry.path.includes(g.only));
      const [atRequest, atAnswer] = [gate('request'), gate('answer')];
      if (atRequest || atAnswer) {
        await pass(atRequest);
        const answer = await forward(req, body);
        await pass(atAnswer);
        reply(res, answer);
        return;
      }
      switch (fault) {
        case 'drop':
          cut(res);
          break;
        case 'delay': {
          const [lo, hi] = profile.delayMs ?? [50, 800];
          await new Promise((r) => setTimeout(r, lo + o.rand() * (hi - lo)));
          reply(res, await forward(req, body));
          break;
        }
        case 'reset-before': {
          // Half a body, then silence: the server must not apply a torn request.
          await new Promise<void>((resolve) => {
            const target = new URL(req.url ?? '/', o.target());
            const up = http.request(target, {
              method: req.method,
              headers: {
                ...headersOf(req.headers),
                host: target.host,
                'content-length': String(body.length),
              },
              agent: false,
            });
            up.on('error', () => resolve());
            up.write(body.subarray(0, Math.floor(body.length / 2)), () => {
              setTimeout(() => {
                up.destroy();
                resolve();
              }, 20);
            });
          });
          cut(res);
          break;
        }
        case 'reset-after':
          await forward(req, body).catch(() => undefined);
          cut(res);
          break;
        case 'duplicate': {
          const both = await Promise.allSettled([forward(req, body), forward(req, body)]);
          const ok = both.filter((b) => b.status === 'fulfilled');
          const chosen = ok[Math.floor(o.rand() * ok.length)];
          if (chosen) reply(res, chosen.value);
          else cut(res);
          break;
        }
        case 'reorder': {
          // Wait for the next request to overtake this one (or give up after a while).
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              if (held === go) held = null;
              resolve();
            }, 400);
            const go = () => {
              clearTimeout(t);
              setTimeout(resolve, 30);
            };
            held = go;
          });
          reply(res, await forward(req, body));
          break;
        }
        default:
          reply(res, await forward(req, body));
      }
    } catch {
      // The server is away (restarting): the client sees the connection fail.
      cut(res);
    } finally {
      release?.();
    }
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts,
    log,
    get offline() {
      return offline;
    },
    setOffline(v: boolean) {
      offline = v;
      if (v) for (const s of sockets) s.destroy();
    },
    setProfile(p: FaultProfile) {
      profile = p;
    },
    hold(only, at) {
      let release = () => undefined as void;
      const g: Gate = { only, at, waiting: 0, open: new Promise<void>((r) => (release = r)) };
      gates.add(g);
      return () => {
        gates.delete(g);
        release();
      };
    },
    holding: (only) => [...gates].filter((g) => g.only === only).reduce((n, g) => n + g.waiting, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
