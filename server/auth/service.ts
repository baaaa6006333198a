import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { jwtVerify, SignJWT } from 'jose';
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Membership, TenantPolicy } from '../../shared/access/policy.js';
import type { LoginResponse, MeResponse, OfflineTicketClaims, PublicUser } from '../../shared/api/auth.js';
import {
  DEFAULT_POLICY,
  loadPoliciesInTx,
  membershipUnexpiredAt,
  membershipValidAt,
  sessionLiveSql,
  withAppTransaction,
} from '../db/scope.js';
import type { Database, DB, MembershipsTable, UsersTable } from '../db/types.js';
import { HttpError } from '../http/errors.js';
import { toIso } from '../sync/mapping.js';
import type { ServerKeys } from './keys.js';
import { cosignKey } from './keys.js';

export const ACCESS_TTL_MS = 15 * 60_000;
export const REFRESH_TTL_MS = 30 * 24 * 3600_000;
export const OFFLINE_TTL_MS = 7 * 24 * 3600_000;

export type AuthContext = { userId: string; sessionId: string; deviceId: string };

export type AuthDeps = {
  db: Database;
  now: () => Date;
  keys: () => Promise<ServerKeys>;
  /** The injected clock for membership validity, or undefined to use the database clock. */
  at: () => Date | undefined;
  /** Counts one authenticated request of a user; throws a 429 HttpError over the per-user limit. */
  limitUser?: (userId: string) => void;
};

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const newRefreshToken = (): string => randomBytes(32).toString('base64url');

// Verifying against a fixed hash when the user does not exist keeps response times similar, so
// timing does not reveal which usernames exist.
let dummyHash: Promise<string> | null = null;
const getDummyHash = (): Promise<string> => (dummyHash ??= hash('not-a-real-password-' + randomUUID()));

export const hashPassword = (password: string): Promise<string> => hash(password);

/** A membership row as the API reports it; policyVersion = membership version + tenant policy version. */
export function toMembership(m: Selectable<MembershipsTable>, policy: TenantPolicy | undefined): Membership {
  return {
    tenantId: m.tenant_id,
    role: m.role as Membership['role'],
    validFrom: m.valid_from === null ? null : toIso(m.valid_from),
    validUntil: m.valid_until === null ? null : toIso(m.valid_until),
    policyVersion: Number(m.policy_version) + (policy ?? DEFAULT_POLICY).version,
  };
}

const publicUser = (u: Pick<Selectable<UsersTable>, 'id' | 'username' | 'display_name'>): PublicUser => ({
  id: u.id,
  username: u.username,
  displayName: u.display_name,
});

/**
 * Memberships valid now (`current`) and not yet expired (`unexpired`, for offline tickets: future
 * grants included), with the policies of every tenant among them. Narrows the transaction to
 * those tenants (loadPoliciesInTx).
 */
export async function loadMemberships(
  tx: Kysely<DB>,
  userId: string,
  at: Date | undefined,
): Promise<{ current: Membership[]; unexpired: Membership[]; policies: Record<string, TenantPolicy> }> {
  const rows = await tx
    .selectFrom('memberships')
    .selectAll()
    .where('user_id', '=', userId)
    .where(membershipUnexpiredAt(at))
    .orderBy('tenant_id')
    .execute();
  const current = new Set(
    (
      await tx
        .selectFrom('memberships')
        .select('tenant_id')
        .where('user_id', '=', userId)
        .where(membershipValidAt(at))
        .execute()
    ).map((r) => r.tenant_id),
  );
  const policies = await loadPoliciesInTx(
    tx,
    rows.map((r) => r.tenant_id),
  );
  const unexpired = rows.map((r) => toMembership(r, policies[r.tenant_id]));
  return { current: unexpired.filter((m) => current.has(m.tenantId)), unexpired, policies };
}

const pick = <T>(rec: Record<string, T>, keys: string[]): Record<string, T> => {
  const out: Record<string, T> = {};
  for (const k of keys) if (rec[k] !== undefined) out[k] = rec[k];
  return out;
};

async function issueTokens(
  deps: AuthDeps,
  tx: Kysely<DB>,
  user: Pick<Selectable<UsersTable>, 'id' | 'username' | 'display_name'>,
  sessionId: string,
  deviceId: string,
  refreshToken: string,
): Promise<LoginResponse> {
  const keys = await deps.keys();
  const now = deps.now();
  const nowSec = Math.floor(now.getTime() / 1000);
  const exp = new Date(now.getTime() + ACCESS_TTL_MS);
  const accessToken = await new SignJWT({ sid: sessionId, device: deviceId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setIssuedAt(nowSec)
    .setExpirationTime(Math.floor(exp.getTime() / 1000))
    .sign(keys.jwtSecret);
  const { current: memberships, unexpired, policies } = await loadMemberships(tx, user.id, deps.at());
  const claims: OfflineTicketClaims = {
    sub: user.id,
    username: user.username,
    displayName: user.display_name,
    memberships: unexpired,
    policies,
    offlineUntil: new Date(now.getTime() + OFFLINE_TTL_MS).toISOString(),
  };
  const offlineTicket = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'bulkhead-offline+jwt' })
    .setIssuedAt(nowSec)
    .setExpirationTime(Math.floor((now.getTime() + OFFLINE_TTL_MS) / 1000))
    .sign(keys.ticketPrivateKey);
  return {
    accessToken,
    accessTokenExpiresAt: exp.toISOString(),
    refreshToken,
    offlineTicket,
    user: publicUser(user),
    memberships,
    policies: pick(
      policies,
      memberships.map((m) => m.tenantId),
    ),
    cosignKey: cosignKey(keys, user.id).toString('hex'),
  };
}

const invalidCredentials = (): HttpError =>
  new HttpError(401, 'invalid_credentials', 'username or password is wrong');

/** Checks a username and password; throws 401 on any mismatch (never says which). */
export async function checkPassword(
  deps: AuthDeps,
  username: string,
  password: string,
): Promise<Pick<Selectable<UsersTable>, 'id' | 'username' | 'display_name'>> {
  const user = await withAppTransaction(deps.db, (tx) =>
    tx.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst(),
  );
  const ok = user
    ? await verify(user.password_hash, password).catch(() => false)
    : await verify(await getDummyHash(), password).then(() => false);
  if (!user || !ok || user.disabled) throw invalidCredentials();
  return user;
}

/** Checks the password and opens a session; throws 401 on any mismatch (never says which). */
export async function login(
  deps: AuthDeps,
  body: { username: string; password: string; deviceId: string },
): Promise<LoginResponse> {
  const user = await checkPassword(deps, body.username, body.password);
  return withAppTransaction(deps.db, async (tx) => {
    const sessionId = randomUUID();
    const refreshToken = newRefreshToken();
    const now = deps.now();
    await tx
      .insertInto('sessions')
      .values({
        id: sessionId,
        user_id: user.id,
        device_id: body.deviceId,
        refresh_hash: sha256(refreshToken),
        expires_at: new Date(now.getTime() + REFRESH_TTL_MS),
        revoked_at: null,
        created_at: now,
      })
      .execute();
    return issueTokens(deps, tx, user, sessionId, body.deviceId, refreshToken);
  });
}

/**
 * Rotates a refresh token. A token that was already rotated out is evidence of theft: the whole
 * session is revoked (committed before the 401 is thrown) so neither holder can continue.
 */
export async function refresh(deps: AuthDeps, refreshToken: string): Promise<LoginResponse> {
  const h = sha256(refreshToken);
  type Outcome = { error: HttpError } | { ok: LoginResponse };
  const result = await withAppTransaction(deps.db, async (tx): Promise<Outcome> => {
    const now = deps.now();
    const session = await tx
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id as sid',
        'sessions.device_id',
        'sessions.expires_at',
        'sessions.revoked_at',
        'users.id',
        'users.username',
        'users.display_name',
        'users.disabled',
      ])
      .where('sessions.refresh_hash', '=', h)
      // Lock only the session row (the app role has no UPDATE on users, which FOR UPDATE would need).
      .forUpdate('sessions')
      .executeTakeFirst();
    if (!session) {
      const old = await tx
        .selectFrom('session_refresh_history')
        .select('session_id')
        .where('refresh_hash', '=', h)
        .executeTakeFirst();
      if (old) {
        await tx
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('id', '=', old.session_id)
          .where('revoked_at', 'is', null)
          .execute();
        return {
          error: new HttpError(401, 'refresh_reused', 'refresh token was already used; session revoked'),
        };
      }
      return { error: new HttpError(401, 'invalid_refresh', 'refresh token is not valid') };
    }
    if (
      session.revoked_at !== null ||
      new Date(session.expires_at).getTime() <= now.getTime() ||
      session.disabled
    ) {
      return { error: new HttpError(401, 'invalid_refresh', 'session has ended') };
    }
    const next = newRefreshToken();
    await tx
      .insertInto('session_refresh_history')
      .values({ refresh_hash: h, session_id: session.sid })
      .execute();
    await tx
      .updateTable('sessions')
      .set({ refresh_hash: sha256(next) })
      .where('id', '=', session.sid)
      .execute();
    return { ok: await issueTokens(deps, tx, session, session.sid, session.device_id, next) };
  });
  if ('error' in result) throw result.error;
  return result.ok;
}

/** Revokes the session of a refresh token; unknown tokens are ignored (logout is idempotent). */
export async function logout(deps: AuthDeps, refreshToken: string): Promise<void> {
  const h = sha256(refreshToken);
  await withAppTransaction(deps.db, async (tx) => {
    await tx
      .updateTable('sessions')
      .set({ revoked_at: deps.now() })
      .where('refresh_hash', '=', h)
      .where('revoked_at', 'is', null)
      .execute();
  });
}

const unauthenticated = (message = 'sign in first'): HttpError =>
  new HttpError(401, 'unauthenticated', message);

/** A token claim we issue: short, storable text (no NUL, no lone surrogate, as PostgreSQL needs). */
const isClaim = (v: unknown): v is string =>
  // eslint-disable-next-line no-control-regex -- NUL is exactly what must not reach PostgreSQL
  typeof v === 'string' && v.length > 0 && v.length <= 200 && !/[\u0000\p{Cs}]/u.test(v);

/** Verifies a Bearer access token and that its session is still live. */
export async function authenticate(deps: AuthDeps, header: string | undefined): Promise<AuthContext> {
  const a = await verifyAccessToken(deps, header);
  if (!(await isSessionLive(deps, a.sessionId, a.userId))) throw unauthenticated('session has ended');
  return a;
}

/**
 * `authenticate` without the session check: the token's signature, expiry and claims, and the
 * user's rate limit. Only for a caller that checks the session itself in its own transaction
 * (`withTenantScope`'s `session` option: the push route, one statement instead of a transaction).
 */
export async function verifyAccessToken(deps: AuthDeps, header: string | undefined): Promise<AuthContext> {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) throw unauthenticated();
  const keys = await deps.keys();
  let sub: string;
  let sid: string;
  let device: string;
  try {
    const { payload } = await jwtVerify(m[1], keys.jwtSecret, {
      algorithms: ['HS256'],
      currentDate: deps.now(),
    });
    if (!isClaim(payload.sub) || !isClaim(payload.sid) || !isClaim(payload.device)) {
      throw new Error('claims');
    }
    sub = payload.sub;
    sid = payload.sid;
    device = payload.device;
  } catch {
    throw unauthenticated('access token is invalid or expired');
  }
  // Counted before the session lookup, so a flood from one user costs no database work.
  deps.limitUser?.(sub);
  return { userId: sub, sessionId: sid, deviceId: device };
}

/** True while the session is neither revoked nor expired and its user is enabled. */
export async function isSessionLive(deps: AuthDeps, sessionId: string, userId: string): Promise<boolean> {
  const { rows } = await withAppTransaction(deps.db, (tx) =>
    sql<{ live: boolean }>`SELECT ${sessionLiveSql(sessionId, userId, deps.now())} AS live`.execute(tx),
  );
  return rows[0]?.live === true;
}

export async function me(deps: AuthDeps, userId: string): Promise<MeResponse> {
  return withAppTransaction(deps.db, async (tx) => {
    const user = await tx
      .selectFrom('users')
      .select(['id', 'username', 'display_name'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    const { current, policies } = await loadMemberships(tx, userId, deps.at());
    return {
      user: publicUser(user),
      memberships: current,
      policies: pick(
        policies,
        current.map((m) => m.tenantId),
      ),
    };
  });
}
