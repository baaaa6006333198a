/**
 * The push route checks the caller's session inside the push's own transaction (issue #8: one
 * statement with the memberships instead of a transaction of its own). A push with the access token
 * of a session that has ended — logged out, expired, or its user disabled — is refused with 401 and
 * stores nothing, exactly as before.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../helpers/server.js';
import { api, integrationBackends, login, startTestServer } from '../../helpers/server.js';
import { movement, pushChanges } from '../audit/client.js';

const backends = await integrationBackends();
const T = 'acme';

describe.each(backends)('push checks the session in its transaction (%s)', (backend) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 3 } });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** The tenant's movements, audit chain and counter. */
  const state = async () => {
    const r = await sql<{ m: string; a: string; c: string }>`SELECT
        (SELECT count(*) FROM movements WHERE tenant_id = ${T})::text AS m,
        (SELECT count(*) FROM audit_log WHERE tenant_id = ${T})::text AS a,
        (SELECT last_seq::text || '/' || audit_seq::text FROM tenant_seq WHERE tenant_id = ${T}) AS c`.execute(
      s.db,
    );
    return r.rows[0];
  };
  const pushAs = async (l: Awaited<ReturnType<typeof login>>) =>
    pushChanges(s.url, { userId: l.user.id, token: l.accessToken, cosignKey: '' }, T, 'movements', [
      { newDocumentState: movement(T, { toLocationId: 'RCV-01' }), assumedMasterState: null },
    ]);

  it('a live session pushes; after logout the same token is refused with 401 and nothing is stored', async () => {
    const l = await login(s.url, 'op.acme');
    const ok = await pushAs(l);
    expect(ok.status).toBe(200);
    expect(ok.body.rejections).toEqual([]);
    expect((await api(s.url, '/api/auth/logout', { body: { refreshToken: l.refreshToken } })).status).toBe(
      204,
    );
    const before = await state();
    const r = await pushAs(l);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: 'unauthenticated', message: 'session has ended' } });
    expect(await state()).toEqual(before);
    // A bad request of the ended session is a 401 too (not the 400 a live session gets).
    for (const [path, body] of [
      [`/api/t/${T}/sync/movements/push`, { changes: 'nope' }],
      [`/api/t/${T}/sync/nothing/push`, { changes: [], audit: [] }],
      ['/api/t/NOT_A_SLUG/sync/movements/push', { changes: [], audit: [] }],
    ] as const) {
      const bad = await api(s.url, path, { token: l.accessToken, body });
      expect(bad.status, path).toBe(401);
      const live = await login(s.url, 'op.acme');
      expect((await api(s.url, path, { token: live.accessToken, body })).status, path).toBe(400);
    }
  });

  it('an expired session or a disabled user is refused with 401 and nothing is stored', async () => {
    const expired = await login(s.url, 'op.acme');
    await s.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('user_id', '=', expired.user.id)
      .execute();
    const before = await state();
    expect((await pushAs(expired)).status).toBe(401);
    expect(await state()).toEqual(before);

    const admin = await login(s.url, 'admin.acme');
    await s.db.updateTable('users').set({ disabled: true }).where('id', '=', admin.user.id).execute();
    try {
      const r = await pushAs(admin);
      expect(r.status).toBe(401);
      expect(await state()).toEqual(before);
    } finally {
      await s.db.updateTable('users').set({ disabled: false }).where('id', '=', admin.user.id).execute();
    }
  });
});
