import { sql } from 'kysely';
import type { Kysely, RawBuilder, Transaction } from 'kysely';
import type { Role, TenantPolicy } from '../../shared/access/policy.js';
import {
  FieldOverrides,
  Role as RoleSchema,
  TenantPolicy as TenantPolicySchema,
  TenantSettings,
} from '../../shared/access/policy.js';
import { HttpError, notAMember } from '../http/errors.js';
import { scopeStorage } from './guard.js';
import type { Database, DB } from './types.js';

/** The caller inside one tenant: role, field policy and the combined policy version. */
export type TenantScope = {
  role: Role;
  tenantId: string;
  userId: string;
  /** memberships.policy_version + tenant_policies.version (both only grow). */
  policyVersion: number;
  policy: TenantPolicy;
  /** The instant of the request (the injected clock, else the server's). */
  at: Date;
  /**
   * With `lockCounter`: the tenant's counter row, locked FOR UPDATE in this transaction (held to
   * commit) when the policy was read; null when the tenant has no counter row yet (not locked).
   */
  counter?: TenantCounter | null;
};

/** The tenant's counter row: change sequence and audit chain head. */
export type TenantCounter = { last_seq: number | string; audit_seq: number | string; audit_head: string };

/** The caller across every tenant with a live membership (cross-tenant reports). */
export type UserScope = {
  userId: string;
  at: Date;
  /** Live memberships by tenant. */
  roles: ReadonlyMap<string, { role: Role; membershipVersion: number }>;
  policies: Readonly<Record<string, TenantPolicy>>;
};

export type ScopeOptions = {
  /** An injected clock (tests): membership validity is judged at this instant, not SQL now(). */
  at?: Date;
  /**
   * The caller's session, checked live in the scope's first statement (with the memberships)
   * instead of in a transaction of its own before it: a caller authenticated with
   * `verifyAccessToken` only (the push route). Not live: 401 "session has ended", nothing else runs.
   */
  session?: { id: string; now: Date };
  /**
   * Lock the tenant's counter row FOR UPDATE in the statement that reads the policy (one round
   * trip instead of two: the push takes this lock first anyway) and hand it over as `counter`.
   */
  lockCounter?: boolean;
};

/**
 * The one rule of a live session: neither revoked nor expired (at `now`, the server clock), of this
 * user, and the user not disabled. Used by `isSessionLive` and by the scope's `session` option.
 */
export function sessionLiveSql(sessionId: string, userId: string, now: Date): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM sessions JOIN users ON users.id = sessions.user_id
    WHERE sessions.id = ${sessionId} AND sessions.user_id = ${userId} AND sessions.revoked_at IS NULL
      AND sessions.expires_at > ${now.toISOString()}::timestamptz AND users.disabled = false)`;
}

/** A 401 for a session that is no longer live (the same answer as `authenticate`). */
const sessionEnded = (): HttpError => new HttpError(401, 'unauthenticated', 'session has ended');

/** The default policy of a tenant without a stored row. */
export const DEFAULT_POLICY: TenantPolicy = {
  version: 1,
  overrides: {},
  settings: TenantSettings.parse({}),
};

/**
 * "Valid at this instant" over memberships: the injected clock when one is configured (tests move
 * time), otherwise the database clock.
 */
export function membershipValidAt(at?: Date): RawBuilder<boolean> {
  if (at === undefined)
    return sql<boolean>`(valid_from IS NULL OR valid_from <= now()) AND (valid_until IS NULL OR valid_until > now())`;
  const t = at.toISOString();
  return sql<boolean>`(valid_from IS NULL OR valid_from <= ${t}::timestamptz) AND (valid_until IS NULL OR valid_until > ${t}::timestamptz)`;
}

/** Not yet expired (valid now or later), for offline tickets and the "already a member" check. */
export function membershipUnexpiredAt(at?: Date): RawBuilder<boolean> {
  if (at === undefined) return sql<boolean>`(valid_until IS NULL OR valid_until > now())`;
  return sql<boolean>`(valid_until IS NULL OR valid_until > ${at.toISOString()}::timestamptz)`;
}

/** @deprecated kept for callers that want the database clock; prefer membershipValidAt. */
export const membershipValidNow = membershipValidAt();

/**
 * Runs `fn` in one transaction as the app role, at identity level (users, sessions, memberships,
 * grant requests, tenants): the scope guard refuses tenant tables here. On PGlite the single
 * session is a superuser, so the role is dropped with SET LOCAL ROLE (undone at commit/rollback).
 */
export async function withAppTransaction<T>(
  db: Database,
  fn: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return scopeStorage.run({ ctx: { kind: 'identity' } }, () =>
    db.app.transaction().execute(async (tx) => {
      if (db.kind === 'pglite') await sql`SET LOCAL ROLE bulkhead_app`.execute(tx);
      return fn(tx);
    }),
  );
}

/** Identity-level access (login, /me, grants): the second explicit helper next to withTenantScope. */
export const withIdentity = withAppTransaction;

/**
 * Sets `app.tenant_ids` for the rest of the transaction and tells the scope guard. Only the
 * helpers in this file call it.
 */
async function setTenantIds(tx: Kysely<DB>, ids: readonly string[]): Promise<void> {
  // is_local = true: the setting dies with the transaction, like SET LOCAL (which takes no binds).
  await sql`SELECT set_config('app.tenant_ids', ${ids.join(',')}, true)`.execute(tx);
  const store = scopeStorage.getStore();
  if (store) store.ctx = { kind: 'tenant', tenantIds: [...ids] };
}

function parsePolicy(row: { version: number | string; overrides: unknown; settings: unknown }): TenantPolicy {
  return TenantPolicySchema.parse({
    version: Number(row.version),
    overrides: FieldOverrides.parse(row.overrides ?? {}),
    settings: TenantSettings.parse(row.settings ?? {}),
  });
}

/**
 * One tenant's policy (as `readPolicies`) and its counter row locked FOR UPDATE, in one statement.
 * Both tables are RLS-protected; the scope is already set (an earlier statement).
 */
async function policyAndCounter(
  tx: Kysely<DB>,
  tenantId: string,
): Promise<{ policy: TenantPolicy; counter: TenantCounter | null }> {
  const { rows } = await sql<{
    version: number | string | null;
    overrides: unknown;
    settings: unknown;
    last_seq: number | string | null;
    audit_seq: number | string | null;
    audit_head: string | null;
  }>`SELECT p.version, p.overrides, p.settings, c.last_seq, c.audit_seq, c.audit_head
     FROM (SELECT 1) AS one
     LEFT JOIN tenant_policies p ON p.tenant_id = ${tenantId}
     LEFT JOIN LATERAL (SELECT last_seq, audit_seq, audit_head FROM tenant_seq WHERE tenant_id = ${tenantId} FOR UPDATE) c ON true`.execute(
    tx,
  );
  const r = rows[0];
  const policy =
    r && r.version !== null
      ? parsePolicy({ version: r.version, overrides: r.overrides, settings: r.settings })
      : DEFAULT_POLICY;
  const counter =
    r && r.last_seq !== null && r.audit_seq !== null && r.audit_head !== null
      ? { last_seq: r.last_seq, audit_seq: r.audit_seq, audit_head: r.audit_head }
      : null;
  return { policy, counter };
}

/** Field policies of tenants visible in the current scope (RLS filters the rest away). */
async function readPolicies(
  tx: Kysely<DB>,
  tenantIds: readonly string[],
): Promise<Record<string, TenantPolicy>> {
  const out: Record<string, TenantPolicy> = {};
  if (tenantIds.length === 0) return out;
  const rows = await tx
    .selectFrom('tenant_policies')
    .select(['tenant_id', 'version', 'overrides', 'settings'])
    .where('tenant_id', 'in', [...tenantIds])
    .execute();
  for (const t of tenantIds) out[t] = DEFAULT_POLICY;
  for (const r of rows) out[r.tenant_id] = parsePolicy(r);
  return out;
}

async function liveMemberships(
  tx: Kysely<DB>,
  userId: string,
  at: Date | undefined,
): Promise<{ tenant_id: string; role: string; policy_version: number }[]> {
  return tx
    .selectFrom('memberships')
    .select(['tenant_id', 'role', 'policy_version'])
    .where('user_id', '=', userId)
    .where(membershipValidAt(at))
    .execute();
}

/**
 * `liveMemberships` and `setTenantIds` over them in one statement (one round trip on every sync
 * call instead of two): `app.tenant_ids` becomes exactly the tenants of the rows returned, set
 * once even when there are none (then to no tenant at all).
 */
async function liveMembershipsScoped(
  tx: Kysely<DB>,
  userId: string,
  at: Date | undefined,
  session?: ScopeOptions['session'],
): Promise<{ tenant_id: string; role: string; policy_version: number }[]> {
  const sessionLive =
    session === undefined ? sql<boolean>`true` : sessionLiveSql(session.id, userId, session.now);
  const { rows } = await sql<{
    ids: string;
    session_live: boolean;
    tenant_id: string | null;
    role: string | null;
    policy_version: number | string | null;
  }>`WITH live AS (
       SELECT tenant_id, role, policy_version FROM memberships WHERE user_id = ${userId} AND ${membershipValidAt(at)}
     ), scoped AS MATERIALIZED (
       SELECT set_config('app.tenant_ids', coalesce((SELECT string_agg(tenant_id, ',') FROM live), ''), true) AS ids
     )
     SELECT scoped.ids, ${sessionLive} AS session_live, live.tenant_id, live.role, live.policy_version FROM scoped LEFT JOIN live ON true`.execute(
    tx,
  );
  // Checked before anything else of the request runs (as `authenticate` does before the scope).
  if (rows[0]?.session_live !== true) throw sessionEnded();
  const ids = rows[0]?.ids ?? '';
  const memberships = rows
    .filter((r) => r.tenant_id !== null)
    .map((r) => ({
      tenant_id: r.tenant_id ?? '',
      role: r.role ?? '',
      policy_version: Number(r.policy_version),
    }));
  const tenantIds = ids === '' ? [] : ids.split(',');
  // The setting and the rows come from one snapshot: the same tenants, whatever their order.
  if (tenantIds.length !== memberships.length || memberships.some((x) => !tenantIds.includes(x.tenant_id)))
    throw new Error('withTenantScope: the scope setting does not match the live memberships');
  const store = scopeStorage.getStore();
  if (store) store.ctx = { kind: 'tenant', tenantIds };
  return memberships;
}

/**
 * The caller's scope over every tenant with a live membership: one transaction whose
 * `app.tenant_ids` are those tenants, with their policies loaded once.
 */
export async function withUserScope<T>(
  db: Database,
  userId: string,
  fn: (tx: Transaction<DB>, scope: UserScope) => Promise<T>,
  opts: ScopeOptions = {},
): Promise<T> {
  return withAppTransaction(db, async (tx) => {
    const memberships = await liveMemberships(tx, userId, opts.at);
    const ids = memberships.map((m) => m.tenant_id);
    await setTenantIds(tx, ids);
    const policies = await readPolicies(tx, ids);
    const roles = new Map(
      memberships.map((m) => [
        m.tenant_id,
        { role: RoleSchema.parse(m.role), membershipVersion: Number(m.policy_version) },
      ]),
    );
    return fn(tx, { userId, at: opts.at ?? new Date(), roles, policies });
  });
}

/**
 * The only way request code touches one tenant's data: one transaction whose `app.tenant_ids`
 * are the user's memberships valid right now (read in the same transaction), so RLS filters
 * every statement even if a query forgets its explicit `tenant_id` filter. The tenant's field
 * policy is loaded once here.
 */
export async function withTenantScope<T>(
  db: Database,
  userId: string,
  tenantId: string,
  fn: (tx: Transaction<DB>, scope: TenantScope) => Promise<T>,
  opts: ScopeOptions = {},
): Promise<T> {
  return withAppTransaction(db, async (tx) => {
    const memberships = await liveMembershipsScoped(tx, userId, opts.at, opts.session);
    const m = memberships.find((x) => x.tenant_id === tenantId);
    if (!m) throw notAMember();
    let policy: TenantPolicy;
    let counter: TenantCounter | null | undefined;
    if (opts.lockCounter) ({ policy, counter } = await policyAndCounter(tx, tenantId));
    else policy = (await readPolicies(tx, [tenantId]))[tenantId] ?? DEFAULT_POLICY;
    const role = RoleSchema.parse(m.role);
    return fn(tx, {
      role,
      tenantId,
      userId,
      policyVersion: Number(m.policy_version) + policy.version,
      policy,
      at: opts.at ?? new Date(),
      ...(counter === undefined ? {} : { counter }),
    });
  });
}

/**
 * A scope for exactly one tenant that the server enters on its own behalf, for steps whose actor
 * is not (yet) a member: the audit entry of a grant request lives in the grant's tenant while
 * the requester has no membership there. The transaction still runs as the app role with RLS,
 * limited to that single tenant; callers check the actor's rights in code before writing.
 */
export async function withTenantSystemScope<T>(
  db: Database,
  tenantId: string,
  fn: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return withAppTransaction(db, async (tx) => {
    await setTenantIds(tx, [tenantId]);
    return fn(tx);
  });
}

/**
 * Policies of the given tenants, read in a scope limited to them (login, /me, offline ticket:
 * the user's own membership tenants).
 */
export async function loadPolicies(
  db: Database,
  tenantIds: readonly string[],
): Promise<Record<string, TenantPolicy>> {
  if (tenantIds.length === 0) return {};
  return withAppTransaction(db, async (tx) => {
    await setTenantIds(tx, tenantIds);
    return readPolicies(tx, tenantIds);
  });
}

/**
 * Inside an identity transaction (login, refresh, /me): narrows it to the user's own membership
 * tenants and reads their policies. Everything after this call in the transaction runs with
 * `app.tenant_ids` = those tenants.
 */
export async function loadPoliciesInTx(
  tx: Kysely<DB>,
  tenantIds: readonly string[],
): Promise<Record<string, TenantPolicy>> {
  if (tenantIds.length === 0) return {};
  await setTenantIds(tx, tenantIds);
  return readPolicies(tx, tenantIds);
}

/** Reads one tenant's policy inside an existing tenant scope. */
export async function policyOf(tx: Kysely<DB>, tenantId: string): Promise<TenantPolicy> {
  return (await readPolicies(tx, [tenantId]))[tenantId] ?? DEFAULT_POLICY;
}

/** Current sequence of a tenant, read inside a scope. */
export async function currentSeq(tx: Kysely<DB>, tenantId: string): Promise<number> {
  const row = await tx
    .selectFrom('tenant_seq')
    .select('last_seq')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? Number(row.last_seq) : 0;
}
