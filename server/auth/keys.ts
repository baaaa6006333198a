import { createHmac, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';

export type ServerKeys = {
  jwtSecret: Uint8Array;
  ticketPrivateKey: CryptoKey;
  ticketPublicJwk: JWK;
  /** Server secret from which every user's co-sign key is derived (persisted like the JWT secret). */
  cosignSecret: Uint8Array;
};

/** A user's co-sign key: HMAC-SHA256(serverSecret, 'cosign:' + userId), 32 bytes. */
export function cosignKey(keys: Pick<ServerKeys, 'cosignSecret'>, userId: string): Buffer {
  return createHmac('sha256', keys.cosignSecret).update(`cosign:${userId}`).digest();
}

/**
 * Returns the stored value for `id`, creating it with `make()` if absent. Insert-then-reread so two
 * servers starting at once agree on one value (the loser's insert is ignored).
 */
async function getOrCreate(owner: Kysely<DB>, id: string, make: () => Promise<string>): Promise<string> {
  const existing = await owner
    .selectFrom('server_keys')
    .select('value')
    .where('id', '=', id)
    .executeTakeFirst();
  if (existing) return existing.value;
  const value = await make();
  await owner
    .insertInto('server_keys')
    .values({ id, value, created_at: new Date() })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const row = await owner
    .selectFrom('server_keys')
    .select('value')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.value;
}

/** Loads (or creates once and persists) the JWT secret and the Ed25519 offline-ticket key pair. */
export async function loadServerKeys(owner: Kysely<DB>, injectedJwtSecret?: Uint8Array): Promise<ServerKeys> {
  const jwtSecret =
    injectedJwtSecret ??
    Buffer.from(
      await getOrCreate(owner, 'jwt-hs256', () => Promise.resolve(randomBytes(32).toString('base64url'))),
      'base64url',
    );
  const privateJson = await getOrCreate(owner, 'offline-ticket-ed25519', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    return JSON.stringify(await exportJWK(privateKey));
  });
  const cosignSecret = Buffer.from(
    await getOrCreate(owner, 'cosign-hmac', () => Promise.resolve(randomBytes(32).toString('base64url'))),
    'base64url',
  );
  const privateJwk = JSON.parse(privateJson) as JWK;
  const ticketPrivateKey = (await importJWK(privateJwk, 'EdDSA')) as CryptoKey;
  // The public half is the private JWK without its secret component.
  const { d: _d, ...publicJwk } = privateJwk;
  return {
    jwtSecret,
    ticketPrivateKey,
    ticketPublicJwk: { ...publicJwk, alg: 'EdDSA', use: 'sig' },
    cosignSecret,
  };
}
