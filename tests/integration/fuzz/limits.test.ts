/**
 * Request size limits, slow requests and rate limits, over real HTTP: a body over the limit is a
 * 413 with the standard error body, a client trickling its request is cut off with a 408 while
 * everyone else is served, and the rate limits (sign-in per address, API per user and per
 * address) answer 429 with Retry-After and lift when their window ends.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../../server/app.js';
import type { TestServer } from '../../helpers/server.js';
import { api, login, startTestServer } from '../../helpers/server.js';

type RawAnswer = { status: number; head: string; body: string; closed: boolean };

/** Writes `chunks` to a raw socket (each after the previous one drained) and reads until close. */
function rawRequest(
  url: string,
  chunks: (string | Buffer)[],
  trickle?: { every: number; byte: string },
): Promise<RawAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // The server may reset the connection once it has answered; the answer is what counts.
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') reject(e);
    });
    socket.on('close', () => {
      clearInterval(timer);
      const i = data.indexOf('\r\n\r\n');
      const head = i >= 0 ? data.slice(0, i) : data;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: i >= 0 ? data.slice(i + 4) : '', closed: true });
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      // A slowloris client: one byte now and then, never the whole request.
      if (trickle)
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(trickle.byte);
        }, trickle.every);
    });
  });
}

describe('request size and time limits (pglite)', () => {
  let s: TestServer;
  let token: string;
  let other: string;
  beforeAll(async () => {
    s = await startTestServer({ backend: 'pglite', seed: { itemsPerTenant: 3 }, requestTimeoutMs: 1500 });
    token = (await login(s.url, 'admin.acme')).accessToken;
    other = (await login(s.url, 'op.globex')).accessToken;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a body over the limit answers 413 with a clear error, declared or chunked, and nothing else breaks', async () => {
    const huge = JSON.stringify({ changes: [{ newDocumentState: { note: 'x'.repeat(BODY_LIMIT + 10) } }] });
    const declared = await api<{ error: { code: string; message: string } }>(
      s.url,
      '/api/t/acme/sync/items/push',
      {
        token,
        rawBody: huge,
      },
    );
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('payload_too_large');
    expect(declared.body.error.message).toMatch(/too large/);

    // Chunked transfer (no Content-Length): the server counts as it reads.
    const chunk = Buffer.alloc(256 * 1024, 'a');
    const parts: (string | Buffer)[] = [
      `POST /api/t/acme/sync/items/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
    ];
    for (let i = 0; i < 6; i++) parts.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    parts.push('0\r\n\r\n');
    const chunked = await rawRequest(s.url, parts);
    expect(chunked.status).toBe(413);
    expect(
      JSON.parse(chunked.body.slice(chunked.body.indexOf('{'), chunked.body.lastIndexOf('}') + 1)),
    ).toMatchObject({
      error: { code: 'payload_too_large' },
    });

    // Just under the limit is parsed (and refused for what it says, not for its size).
    const under = await api<{ error: { code: string } }>(s.url, '/api/t/acme/sync/items/push', {
      token,
      rawBody: JSON.stringify({ changes: [], pad: 'y'.repeat(1000) }),
    });
    expect(under.status).toBe(400);
    expect(under.body.error.code).toBe('invalid_request');
    const pull = await api(s.url, '/api/t/globex/sync/items/pull', { token: other });
    expect(pull.status).toBe(200);
  });

  it('a client trickling its body or headers is cut off with 408 while others are served', async () => {
    const slowBody = rawRequest(
      s.url,
      [
        `POST /api/t/acme/sync/items/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"changes":[`,
      ],
      { every: 100, byte: ' ' },
    );
    const slowHeaders = rawRequest(s.url, ['GET /api/me HTTP/1.1\r\nHost: x\r\n'], { every: 100, byte: 'X' });
    // While both are stuck, another user is served, several times.
    for (let i = 0; i < 5; i++) {
      const r = await api<{ documents: unknown[] }>(s.url, '/api/t/globex/sync/items/pull', { token: other });
      expect(r.status).toBe(200);
    }
    const [body, headers] = await Promise.all([slowBody, slowHeaders]);
    for (const r of [body, headers]) {
      expect(r.closed).toBe(true);
      expect(r.status).toBe(408);
      expect(r.head).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(r.body)).toEqual({
        error: { code: 'request_timeout', message: 'the request was not received in time' },
      });
    }
    expect((await api(s.url, '/api/me', { token: other })).status).toBe(200);
  });
});

describe('rate limits (pglite)', () => {
  let s: TestServer;
  let t = Date.now();
  const now = (): Date => new Date(t);
  const WINDOW = 60_000;
  beforeAll(async () => {
    s = await startTestServer({
      backend: 'pglite',
      seed: { itemsPerTenant: 2 },
      now,
      rateLimits: { windowMs: WINDOW, loginPerIp: 3, apiPerUser: 5, apiPerIp: 30 },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  const expect429 = async (path: string, init: Parameters<typeof api>[2]): Promise<void> => {
    const res = await fetch(`${s.url}${path}`, {
      method: init?.method ?? (init?.body ? 'POST' : 'GET'),
      headers: {
        ...(init?.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init?.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init?.body ? JSON.stringify(init.body) : undefined,
    });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(WINDOW / 1000);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toMatch(/^(rate_limited|too_many_attempts)$/);
    expect(body.error.message).toMatch(/try again/);
  };

  it('sign-in per address and API calls per user answer 429 with Retry-After, others unaffected, and lift with the window', async () => {
    const op = await login(s.url, 'op.acme');
    const admin = await login(s.url, 'admin.acme');
    // A wrong password counts as an attempt too.
    expect(
      (await api(s.url, '/api/auth/login', { body: { username: 'mgr', password: 'nope', deviceId: 'd' } }))
        .status,
    ).toBe(401);
    await expect429('/api/auth/login', { body: { username: 'mgr', password: 'demo1234', deviceId: 'd' } });
    await expect429('/api/auth/cosign', { body: { username: 'mgr', password: 'demo1234', message: {} } });

    for (let i = 0; i < 5; i++)
      expect((await api(s.url, '/api/me', { token: op.accessToken })).status).toBe(200);
    await expect429('/api/me', { token: op.accessToken });
    await expect429('/api/t/acme/sync/items/pull', { token: op.accessToken });
    // Another user is not affected by op.acme's limit.
    expect((await api(s.url, '/api/me', { token: admin.accessToken })).status).toBe(200);

    t += WINDOW + 1;
    expect((await api(s.url, '/api/me', { token: op.accessToken })).status).toBe(200);
    expect((await login(s.url, 'mgr')).user.username).toBe('mgr');
  });

  it('API calls per address answer 429 after the limit (the health probe excepted) and lift with the window', async () => {
    t += WINDOW + 1;
    let served = 0;
    for (;;) {
      const r = await fetch(`${s.url}/api/auth/offline-key`);
      if (r.status !== 200) {
        expect(r.status).toBe(429);
        break;
      }
      served++;
      expect(served).toBeLessThanOrEqual(30);
    }
    expect(served).toBe(30);
    await expect429('/api/auth/offline-key', {});
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    t += WINDOW + 1;
    expect((await fetch(`${s.url}/api/auth/offline-key`)).status).toBe(200);
  });
});

describe('per-address limits behind a proxy (pglite)', () => {
  let direct: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    direct = await startTestServer({ backend: 'pglite', seed: false, rateLimits: { apiPerIp: 2 } });
    proxied = await startTestServer({
      backend: 'pglite',
      seed: false,
      rateLimits: { apiPerIp: 2 },
      trustProxy: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  const key = (s: TestServer, forwardedFor: string): Promise<number> =>
    fetch(`${s.url}/api/auth/offline-key`, { headers: { 'x-forwarded-for': forwardedFor } }).then(
      (r) => r.status,
    );

  it('a direct client cannot dodge the limit with a forged X-Forwarded-For', async () => {
    expect([
      await key(direct, '10.0.0.1'),
      await key(direct, '10.0.0.2'),
      await key(direct, '10.0.0.3'),
    ]).toEqual([200, 200, 429]);
  });

  it('behind a trusted proxy each forwarded client has its own budget', async () => {
    expect([
      await key(proxied, '10.0.0.1'),
      await key(proxied, '10.0.0.1'),
      await key(proxied, '10.0.0.1'),
    ]).toEqual([200, 200, 429]);
    expect(await key(proxied, '10.0.0.2')).toBe(200);
  });
});
