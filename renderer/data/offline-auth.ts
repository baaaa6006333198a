import { compactVerify, importJWK, type JWK } from 'jose';
import { OfflineTicketClaims } from '../../shared/api/auth.js';

/**
 * Offline sign-in. After an online login the client keeps, per username: a PBKDF2 verifier of
 * the password (never the password), the server-signed offline ticket and the server's Ed25519
 * public key. Offline, the password is checked against the verifier and the ticket accepted only
 * with a valid signature and only until its `offlineUntil`. Failed attempts are throttled.
 */

/** Where offline records and throttle counters live (the platform's secret store in Electron). */
export type OfflineStore = {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
};

type OfflineRecord = {
  userId: string;
  username: string;
  salt: string;
  iterations: number;
  verifier: string;
  ticket: string;
  publicJwk: JWK;
  /** The user's co-sign key, AES-GCM encrypted under a second PBKDF2 of the password. */
  cosign?: { salt: string; iv: string; data: string };
};

type Throttle = { failures: number; lockedUntil: number };

/** Why an offline sign-in failed; the UI shows each differently. */
export class OfflineLoginError extends Error {
  constructor(
    readonly code: 'no-offline-data' | 'bad-password' | 'locked' | 'ticket-invalid' | 'ticket-expired',
    readonly retryAt?: number,
  ) {
    super(code);
    this.name = 'OfflineLoginError';
  }
}

const ITERATIONS = 310_000;
const FREE_FAILURES = 5;
const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;

const keyPart = (username: string) => username.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
const recordKey = (username: string) => `offline:${keyPart(username)}`;
const throttleKey = (username: string) => `offline-throttle:${keyPart(username)}`;

const hex = (b: ArrayBuffer | Uint8Array) =>
  Array.from(b instanceof Uint8Array ? b : new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join(
    '',
  );
const unhex = (s: string) => new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Compare without an early exit, so timing does not tell how much of a guess was right. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}

/**
 * The key that encrypts this user's sensitive local fields. Derived from the password, so only
 * this user's login unlocks it; never stored.
 */
export async function localDataKey(userId: string, password: string): Promise<string> {
  return hex(await pbkdf2(password, new TextEncoder().encode(`bulkhead-local-data:${userId}`), 100_000));
}

/** Verify the ticket's signature and shape; null when forged, malformed or signed by another key. */
export async function verifyTicket(ticket: string, publicJwk: JWK): Promise<OfflineTicketClaims | null> {
  try {
    const key = await importJWK(publicJwk, 'EdDSA');
    const { payload, protectedHeader } = await compactVerify(ticket, key);
    if (protectedHeader.alg !== 'EdDSA') return null;
    const parsed = OfflineTicketClaims.safeParse(JSON.parse(new TextDecoder().decode(payload)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function aesKey(password: string, salt: Uint8Array): Promise<CryptoKey> {
  const bits = await pbkdf2(password, salt, ITERATIONS);
  return crypto.subtle.importKey('raw', bits as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** Keep what an offline sign-in (and an offline co-sign) needs, after a successful online login. */
export async function rememberForOffline(
  store: OfflineStore,
  args: {
    userId: string;
    username: string;
    password: string;
    ticket: string;
    publicJwk: JWK;
    cosignKey?: string;
  },
): Promise<void> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  let cosign: OfflineRecord['cosign'];
  if (args.cosignKey) {
    const cSalt = crypto.getRandomValues(new Uint8Array(16));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: iv as BufferSource },
      await aesKey(args.password, cSalt),
      new TextEncoder().encode(args.cosignKey),
    );
    cosign = { salt: hex(cSalt), iv: hex(iv), data: hex(data) };
  }
  const record: OfflineRecord = {
    userId: args.userId,
    username: args.username,
    salt: hex(salt),
    iterations: ITERATIONS,
    verifier: hex(await pbkdf2(args.password, salt, ITERATIONS)),
    ticket: args.ticket,
    publicJwk: args.publicJwk,
    cosign,
  };
  await store.set(recordKey(args.username), JSON.stringify(record));
  await store.delete(throttleKey(args.username));
}

/** Forget a user's offline data (logout wipe, revoked user). */
export async function forgetOffline(store: OfflineStore, username: string): Promise<void> {
  await store.delete(recordKey(username));
  await store.delete(throttleKey(username));
}

async function readThrottle(store: OfflineStore, username: string): Promise<Throttle> {
  const raw = await store.get(throttleKey(username));
  if (!raw) return { failures: 0, lockedUntil: 0 };
  try {
    return JSON.parse(raw) as Throttle;
  } catch {
    return { failures: 0, lockedUntil: 0 };
  }
}

/** Lock time after `failures` consecutive failures: none for the first five, then doubling. */
export function lockDuration(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (failures - FREE_FAILURES));
}

/** Sign in without the server. Resolves with the ticket's claims or throws OfflineLoginError. */
export async function offlineSignIn(
  store: OfflineStore,
  username: string,
  password: string,
  now: Date,
): Promise<OfflineTicketClaims> {
  const throttle = await readThrottle(store, username);
  if (throttle.lockedUntil > now.getTime()) throw new OfflineLoginError('locked', throttle.lockedUntil);
  const raw = await store.get(recordKey(username));
  if (!raw) throw new OfflineLoginError('no-offline-data');
  const record = JSON.parse(raw) as OfflineRecord;
  const derived = await pbkdf2(password, unhex(record.salt), record.iterations);
  if (!sameBytes(derived, unhex(record.verifier))) {
    const failures = throttle.failures + 1;
    const lock = lockDuration(failures);
    await store.set(
      throttleKey(username),
      JSON.stringify({ failures, lockedUntil: lock ? now.getTime() + lock : 0 }),
    );
    throw new OfflineLoginError(lock ? 'locked' : 'bad-password', lock ? now.getTime() + lock : undefined);
  }
  const claims = await verifyTicket(record.ticket, record.publicJwk);
  if (!claims || claims.sub !== record.userId) throw new OfflineLoginError('ticket-invalid');
  if (Date.parse(claims.offlineUntil) <= now.getTime()) throw new OfflineLoginError('ticket-expired');
  await store.delete(throttleKey(username));
  return claims;
}

/** HMAC-SHA256 (hex) of `message` with a co-sign key given as hex (the key's bytes). */
export async function hmacHex(keyHex: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    unhex(keyHex) as BufferSource,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return hex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message)));
}

/**
 * Co-sign offline on this PC: the second user's password is checked against their cached
 * verifier (same throttle as sign-in), unlocks their co-sign key, and signs the message. Their
 * ticket must still be valid. Resolves with their user id and the signature.
 */
export async function cosignOffline(
  store: OfflineStore,
  username: string,
  password: string,
  message: string,
  now: Date,
): Promise<{ userId: string; signature: string; claims: OfflineTicketClaims }> {
  const claims = await offlineSignIn(store, username, password, now);
  const raw = await store.get(recordKey(username));
  const record = raw ? (JSON.parse(raw) as OfflineRecord) : null;
  if (!record?.cosign) throw new OfflineLoginError('no-offline-data');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: unhex(record.cosign.iv) as BufferSource },
    await aesKey(password, unhex(record.cosign.salt)),
    unhex(record.cosign.data),
  );
  const keyHex = new TextDecoder().decode(plain);
  return { userId: record.userId, signature: await hmacHex(keyHex, message), claims };
}
