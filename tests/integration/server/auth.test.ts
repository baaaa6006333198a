import { DEFAULT_TENANT_SETTINGS } from '../../../shared/access/policy.js';
import { importJWK, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginResponse, MeResponse, OfflineTicketClaims } from '../../../shared/api/auth.js';
import type { ErrorBody } from '../../../shared/sync/protocol.js';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';

const backends = await integrationBackends();

describe.each(backends)('auth (%s)', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 5 } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('logs in with the demo password and returns tokens, user, memberships and a verifiable offline ticket', async () => {
    const res = await api(s.url, '/api/auth/login', {
      body: { username: 'mgr', password: 'demo1234', deviceId: 'pc-1' },
    });
    expect(res.status).toBe(200);
    const body = LoginResponse.parse(res.body);
    expect(body.user.username).toBe('mgr');
    expect(body.memberships.map((m) => [m.tenantId, m.role])).toEqual([
      ['acme', 'manager'],
      ['globex', 'manager'],
    ]);
    expect(Date.parse(body.accessTokenExpiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);

    const jwk = await api<JWK>(s.url, '/api/auth/offline-key');
    expect(jwk.status).toBe(200);
    expect(jwk.body.d).toBeUndefined(); // never the private part
    const key = await importJWK(jwk.body, 'EdDSA');
    const { payload } = await jwtVerify(body.offlineTicket, key);
    const claims = OfflineTicketClaims.parse(payload);
    expect(claims.sub).toBe(body.user.id);
    expect(claims.displayName).toBe('Mia Manager');
    expect(Object.keys(claims.policies).sort()).toEqual(['acme', 'globex']);
    expect(Object.keys(body.policies).sort()).toEqual(['acme', 'globex']);
    expect(claims.username).toBe('mgr');
    const days = (Date.parse(claims.offlineUntil) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
  });

  it('answers a wrong password and an unknown user with the same 401 error body', async () => {
    const bad = await api<ErrorBody>(s.url, '/api/auth/login', {
      body: { username: 'op.acme', password: 'wrong-password', deviceId: 'pc-1' },
    });
    const unknown = await api<ErrorBody>(s.url, '/api/auth/login', {
      body: { username: 'nobody', password: 'demo1234', deviceId: 'pc-1' },
    });
    expect(bad.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(bad.body.error.code).toBe('invalid_credentials');
    expect(unknown.body).toEqual(bad.body);
  });

  it('throttles repeated failures per username with 429, even for the right password', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await api(s.url, '/api/auth/login', {
        body: { username: 'aud.acme', password: `x${i}`, deviceId: 'pc' },
      });
      expect(r.status).toBe(401);
    }
    const blocked = await api<ErrorBody>(s.url, '/api/auth/login', {
      body: { username: 'aud.acme', password: 'demo1234', deviceId: 'pc' },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('too_many_attempts');
    // Other users are not affected.
    await expect(login(s.url, 'fin.acme')).resolves.toBeDefined();
  });

  it('rejects a malformed login body with 400', async () => {
    const r = await api<ErrorBody>(s.url, '/api/auth/login', { body: { username: 'op.acme' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
  });

  it('rotates refresh tokens and revokes the session when a used token comes back', async () => {
    const first = await login(s.url, 'op.acme');
    const r1 = await api(s.url, '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(r1.status).toBe(200);
    const second = LoginResponse.parse(r1.body);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await api(s.url, '/api/me', { token: second.accessToken })).status).toBe(200);

    // Reuse of the rotated-out token: theft signal, the whole session ends.
    const reuse = await api<ErrorBody>(s.url, '/api/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('refresh_reused');
    expect(
      (await api(s.url, '/api/auth/refresh', { body: { refreshToken: second.refreshToken } })).status,
    ).toBe(401);
    expect((await api(s.url, '/api/me', { token: second.accessToken })).status).toBe(401);
  });

  it('logout revokes the session', async () => {
    const l = await login(s.url, 'op.globex');
    expect((await api(s.url, '/api/me', { token: l.accessToken })).status).toBe(200);
    const out = await api(s.url, '/api/auth/logout', { body: { refreshToken: l.refreshToken } });
    expect(out.status).toBe(204);
    expect((await api(s.url, '/api/me', { token: l.accessToken })).status).toBe(401);
    expect((await api(s.url, '/api/auth/refresh', { body: { refreshToken: l.refreshToken } })).status).toBe(
      401,
    );
  });

  it('/api/me returns the user and memberships valid now; 401 without or with a forged token', async () => {
    const l = await login(s.url, 'fin.acme');
    const me = await api(s.url, '/api/me', { token: l.accessToken });
    expect(me.status).toBe(200);
    const body = MeResponse.parse(me.body);
    expect(body.user).toEqual(l.user);
    expect(body.memberships).toEqual([
      // Membership version 1 + tenant policy version 1.
      { tenantId: 'acme', role: 'finance', validFrom: null, validUntil: null, policyVersion: 2 },
    ]);
    expect(body.policies).toEqual({
      acme: { version: 1, overrides: {}, settings: DEFAULT_TENANT_SETTINGS },
    });
    const none = await api<ErrorBody>(s.url, '/api/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthenticated');
    const forged = l.accessToken.slice(0, -4) + (l.accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await api(s.url, '/api/me', { token: forged })).status).toBe(401);
  });
});
