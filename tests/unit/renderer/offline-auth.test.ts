import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  cosignOffline,
  hmacHex,
  lockDuration,
  OfflineLoginError,
  offlineSignIn,
  rememberForOffline,
  verifyTicket,
  type OfflineStore,
} from '../../../renderer/data/offline-auth.js';

function memoryStore(): OfflineStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: (k) => Promise.resolve(data.get(k) ?? null),
    set: (k, v) => Promise.resolve(void data.set(k, v)),
    delete: (k) => Promise.resolve(void data.delete(k)),
  };
}

async function ticketFor(sub: string, offlineUntil: string) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const claims = { sub, username: 'op.acme', memberships: [], policies: {}, offlineUntil };
  const ticket = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA' })
    .sign(privateKey);
  return { ticket, publicJwk: await exportJWK(publicKey) };
}

const now = new Date('2026-06-01T08:00:00Z');

describe('offline sign-in', () => {
  it('accepts the right password and a valid ticket, refuses a wrong password', async () => {
    const store = memoryStore();
    const { ticket, publicJwk } = await ticketFor('u-op', '2026-06-08T08:00:00Z');
    await rememberForOffline(store, {
      userId: 'u-op',
      username: 'op.acme',
      password: 'demo1234',
      ticket,
      publicJwk,
    });
    expect(JSON.stringify([...store.data.values()])).not.toContain('demo1234');
    const claims = await offlineSignIn(store, 'op.acme', 'demo1234', now);
    expect(claims.sub).toBe('u-op');
    await expect(offlineSignIn(store, 'op.acme', 'wrong', now)).rejects.toMatchObject({
      code: 'bad-password',
    });
  });

  it('refuses an expired ticket and a ticket signed by another key', async () => {
    const store = memoryStore();
    const expired = await ticketFor('u-op', '2026-06-01T07:59:59Z');
    await rememberForOffline(store, {
      userId: 'u-op',
      username: 'op.acme',
      password: 'pw-123456',
      ...expired,
    });
    await expect(offlineSignIn(store, 'op.acme', 'pw-123456', now)).rejects.toMatchObject({
      code: 'ticket-expired',
    });

    const a = await ticketFor('u-op', '2026-06-08T08:00:00Z');
    const b = await ticketFor('u-op', '2026-06-08T08:00:00Z');
    expect(await verifyTicket(a.ticket, b.publicJwk)).toBeNull();
    await rememberForOffline(store, {
      userId: 'u-op',
      username: 'op.acme',
      password: 'pw-123456',
      ticket: a.ticket,
      publicJwk: b.publicJwk,
    });
    await expect(offlineSignIn(store, 'op.acme', 'pw-123456', now)).rejects.toMatchObject({
      code: 'ticket-invalid',
    });
  });

  it('locks after five failures, doubling, and says until when', async () => {
    expect([0, 4, 5, 6, 7].map(lockDuration)).toEqual([0, 0, 30_000, 60_000, 120_000]);
    const store = memoryStore();
    const t = await ticketFor('u-op', '2026-06-08T08:00:00Z');
    await rememberForOffline(store, { userId: 'u-op', username: 'op.acme', password: 'right-pw', ...t });
    for (let i = 0; i < 4; i++)
      await expect(offlineSignIn(store, 'op.acme', 'x', now)).rejects.toMatchObject({ code: 'bad-password' });
    const fifth = await offlineSignIn(store, 'op.acme', 'x', now).catch((e: unknown) => e);
    expect(fifth).toBeInstanceOf(OfflineLoginError);
    expect((fifth as OfflineLoginError).code).toBe('locked');
    // Even the right password waits for the lock to pass.
    await expect(offlineSignIn(store, 'op.acme', 'right-pw', now)).rejects.toMatchObject({ code: 'locked' });
    await expect(
      offlineSignIn(store, 'op.acme', 'right-pw', new Date(now.getTime() + 31_000)),
    ).resolves.toMatchObject({
      sub: 'u-op',
    });
  });

  it('co-signs offline with the key unlocked by the co-signer password only', async () => {
    const store = memoryStore();
    const t = await ticketFor('u-mgr', '2026-06-08T08:00:00Z');
    const cosignKey = 'ab'.repeat(32);
    await rememberForOffline(store, {
      userId: 'u-mgr',
      username: 'mgr',
      password: 'mgr-pass',
      ...t,
      cosignKey,
    });
    expect(JSON.stringify([...store.data.values()])).not.toContain(cosignKey);
    const r = await cosignOffline(store, 'mgr', 'mgr-pass', 'message', now);
    expect(r.userId).toBe('u-mgr');
    expect(r.signature).toBe(await hmacHex(cosignKey, 'message'));
    await expect(cosignOffline(store, 'mgr', 'nope', 'message', now)).rejects.toMatchObject({
      code: 'bad-password',
    });
  });
});

describe('co-signature agreement with the server', () => {
  it('the PC computes exactly the signature the server verifies', async () => {
    const { cosignSignature } = await import('../../../shared/audit/cosign-sign.js');
    const { cosignMessage } = await import('../../../shared/audit/cosign.js');
    const key = '0f'.repeat(32);
    const message = cosignMessage({
      tenantId: 'acme',
      entity: 'movements',
      entityId: 'm1',
      action: 'create',
      typed: 'LOT-1',
      reason: 'damaged',
      at: '2026-06-01T08:00:00.000Z',
    });
    expect(await hmacHex(key, message)).toBe(await cosignSignature(key, message));
    expect(await hmacHex(key, message)).not.toBe(await hmacHex('0e'.repeat(32), message));
  });
});
