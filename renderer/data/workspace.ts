import type { JWK } from 'jose';
import { create } from 'zustand';
import {
  authorizedTenants,
  nextMembershipChange,
  type Membership,
  type Role,
  type TenantPolicy,
} from '../../shared/access/policy.js';
import type { LoginResponse, PublicUser } from '../../shared/api/auth.js';
import { platform } from '../platform/index.js';
import { principalOf, useSession } from '../state/session.js';
import { useSyncStatus } from '../state/sync.js';
import { ApiClient, ApiError, NetworkError } from './api.js';
import {
  openTenantDatabase,
  prefetchSignInPartition,
  rememberSignInPartition,
  removeTenantDatabase,
  type TenantDatabase,
} from './database.js';
import {
  forgetOffline,
  localDataKey,
  offlineSignIn,
  rememberForOffline,
  type OfflineStore,
} from './offline-auth.js';
import { pendingChanges, type PendingDoc } from './pending.js';
import { forgetPartition, isStale, partitionInfo, partitionsOf, recordPartition } from './partitions.js';
import { configureAttention, dropAttentionOf, fileAttention, useUserDb } from './attention.js';
import { conflictContext } from './conflicts.js';
import { cosignMessage } from '../../shared/audit/cosign.js';
import { cosignOffline, hmacHex } from './offline-auth.js';
import { openUserDatabase, removeUserDatabase } from './user-store.js';
import { flushLocalAlerts, noteActivity } from './local-alerts.js';
import { onLocalChange } from './writes.js';
import { timedStep } from './timing.js';
import { inOrder } from './answers.js';
import { startTenantSync, type TenantSync } from './tenant-sync.js';
import { startMovementPruning } from './prune.js';
import type { Repair } from './reconcile.js';
import type { SyncCollection } from '../../shared/sync/protocol.js';

/** The open tenant partition, as UI state: which database handle screens read from. */
export type WorkspaceState = {
  db: TenantDatabase | null;
  tenantId: string | null;
  opening: string | null;
  error: string | null;
  /** Set when the server no longer accepts this session: sign in again to sync. */
  needsSignIn: boolean;
  /** A notice for the user (e.g. "access to acme ended; its local data was removed"). */
  notice: { key: string; tenant?: string } | null;
};

export const useWorkspace = create<WorkspaceState>()(() => ({
  db: null,
  tenantId: null,
  opening: null,
  error: null,
  needsSignIn: false,
  notice: null,
}));

const DEVICE_KEY = 'bulkhead.deviceId';

/** A stale local copy brought up to the server's version at a (re)connect (issue #7). */
export type RepairRecord = Repair & { tenantId: string; collection: SyncCollection; at: string };

/**
 * Every repair of this page's life, also exposed as `globalThis.__bulkheadRepairs` for the
 * reliability suites (a repair heals a divergence whose cause is still to be found).
 */
export const repairLog: RepairRecord[] = [];
(globalThis as { __bulkheadRepairs?: RepairRecord[] }).__bulkheadRepairs = repairLog;

function noteRepairs(tenantId: string, collection: SyncCollection, repaired: readonly Repair[]): void {
  const at = new Date().toISOString();
  for (const r of repaired) repairLog.push({ tenantId, collection, ...r, at });
  console.warn(
    `[sync] repaired stale ${collection} of ${tenantId}: ${repaired
      .map(
        (r) =>
          `${r.id} local seq ${r.localSeq} → server seq ${r.serverSeq}${r.realigned ? " (RxDB's record of the copy realigned)" : ''}${r.settled ? ' (accepted movement RxDB left unsettled)' : ''}`,
      )
      .join(', ')}`,
  );
}

/** The tenant the screens work on: the open partition, or the one being opened. */
export function useActiveTenant(): string | null {
  const workspaceTenant = useWorkspace((s) => s.tenantId);
  const sessionTenant = useSession((s) => s.activeTenant);
  return workspaceTenant ?? sessionTenant;
}

/** A stable id for this PC/browser profile, sent with logins and movements. */
export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

let api: ApiClient | null = null;
let serverUrl = '';
let refreshKey: string | null = null;
let refreshing: Promise<string | null> | null = null;
let dataKey: string | null = null;
let membershipTimer: ReturnType<typeof setTimeout> | null = null;
let current: { db: TenantDatabase; sync: TenantSync; tenantId: string; stopPruning: () => void } | null =
  null;
// Serialises open/close/purge so a fast double switch never leaves two partitions open.
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(run: () => Promise<T>): Promise<T> {
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

/** Offline records live in the platform's secret store (the OS keychain in Electron). */
const offlineStore: OfflineStore = {
  get: (k) => platform().getSecret(k),
  set: (k, v) => platform().setSecret(k, v),
  delete: (k) => platform().deleteSecret(k),
};

async function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (async () => {
    try {
      const rt = refreshKey ? await platform().getSecret(refreshKey) : null;
      if (!rt || !api) return null;
      const res = await api.refresh(rt);
      await adoptTokens(res);
      applyMemberships(res.memberships, res.policies);
      return res.accessToken;
    } catch {
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** The API client for the configured server. */
export async function apiClient(): Promise<ApiClient> {
  if (!api) {
    const config = await platform().getConfig();
    serverUrl = config.serverUrl.replace(/\/$/, '');
    api = new ApiClient(serverUrl, {
      accessToken: () => useSession.getState().accessToken,
      refresh: refreshAccessToken,
    });
  }
  return api;
}

async function adoptTokens(res: LoginResponse): Promise<void> {
  refreshKey = `refresh:${res.user.username.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  await platform().setSecret(refreshKey, res.refreshToken);
  useSession.getState().setAccessToken(res.accessToken);
}

/** Take an online login's tokens, user, memberships and policies as the session. */
async function adoptOnlineLogin(res: LoginResponse): Promise<void> {
  await adoptTokens(res);
  useSession.getState().setSession({
    user: res.user,
    memberships: res.memberships,
    policies: res.policies,
    accessToken: res.accessToken,
    offline: false,
  });
}

/** Tenants the signed-in user may open right now, by the client's clock. */
export function currentTenants(memberships: readonly Membership[], userId: string): string[] {
  return authorizedTenants({ userId, memberships, now: new Date() });
}

/**
 * Sign in: online when the server answers, otherwise against the offline ticket. Then remove
 * partitions the user may no longer hold and open the first authorized tenant.
 */
export async function signIn(username: string, password: string): Promise<void> {
  // Read the partition this user's last sign-in opened while the password is being checked.
  prefetchSignInPartition(username);
  const client = await apiClient();
  let user: PublicUser;
  // Performance: the offline sign-in record (two slow key derivations) is written while the
  // partition opens; a failure only leaves the previous record in place.
  let remembered: Promise<void> = Promise.resolve();
  try {
    const res = await timedStep('login', client.login(username, password, deviceId()));
    user = res.user;
    dataKey = await timedStep('data-key', localDataKey(res.user.id, password));
    await adoptOnlineLogin(res);
    useWorkspace.setState({ needsSignIn: false, notice: null, error: null });
    remembered = (async () => {
      const publicJwk = await client.getJson<JWK>('/api/auth/offline-key').catch(() => null);
      if (!publicJwk) return;
      await rememberForOffline(offlineStore, {
        userId: res.user.id,
        username: res.user.username,
        password,
        ticket: res.offlineTicket,
        publicJwk,
        cosignKey: (res as { cosignKey?: string }).cosignKey,
      });
    })().catch((e: unknown) => console.error('could not store the offline sign-in record', e));
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const claims = await offlineSignIn(offlineStore, username, password, new Date());
    user = { id: claims.sub, username: claims.username, displayName: claims.displayName ?? claims.username };
    dataKey = await localDataKey(claims.sub, password);
    useSession.getState().setSession({
      user,
      memberships: claims.memberships,
      policies: claims.policies,
      accessToken: null,
      offline: true,
    });
  }
  await timedStep('user-store', openUserStore(user.id));
  await serial(() => enforceMemberships());
  const tenants = currentTenants(useSession.getState().memberships, user.id);
  if (tenants[0]) {
    rememberSignInPartition(username, user.id, tenants[0]);
    await switchTenant(tenants[0]);
  }
  await remembered;
}

async function closeCurrent(): Promise<void> {
  const c = current;
  current = null;
  useWorkspace.setState({ db: null, tenantId: null });
  useSyncStatus.getState().reset();
  if (c) {
    c.stopPruning();
    await c.sync.stop();
    await c.db.close();
  }
}

function requireKey(): string {
  if (!dataKey) throw new Error('no local data key: not signed in');
  return dataKey;
}

/** Remove a tenant's partition (closing it first if it is open) and everything filed for it. */
async function purge(userId: string, tenantId: string): Promise<void> {
  if (current?.tenantId === tenantId) await closeCurrent();
  await removeTenantDatabase(userId, tenantId, requireKey());
  forgetPartition(userId, tenantId);
  const userDb = useUserDb.getState().db;
  if (userDb) await dropAttentionOf(userDb, tenantId);
}

/** Open the signed-in user's own database (Needs attention, offline alerts). */
async function openUserStore(userId: string): Promise<void> {
  const key = requireKey();
  const old = useUserDb.getState().db;
  if (old) await old.close();
  let db;
  try {
    db = await openUserDatabase(userId, key);
  } catch {
    // Unreadable with this key (password changed): its content cannot be recovered; start anew.
    await removeUserDatabase(userId, key);
    db = await openUserDatabase(userId, key);
  }
  useUserDb.setState({ db });
}

onLocalChange((tenantId, destructive) => {
  void noteActivity(tenantId, destructive ? ['change', 'destructive'] : ['change']).catch(() => undefined);
});

configureAttention(
  () => {
    const c = current;
    const user = useSession.getState().user;
    if (!c || !user) return null;
    return {
      tenantDb: c.db,
      tenantId: c.tenantId,
      actor: { userId: user.id, deviceId: deviceId() },
      skuOf: async (itemId) => {
        const item = await c.db.items.findOne(itemId).exec();
        return item ? String(item.sku) : null;
      },
    };
  },
  async (item, entry) => {
    const client = await apiClient();
    await client.sendJson('POST', `/api/t/${encodeURIComponent(item.tenantId)}/audit`, {
      entries: [entry],
      localVersion: item.localVersion,
    });
  },
);

/**
 * Co-sign a destructive change with a second user's credentials on this PC: online through the
 * server, otherwise against the second user's cached offline data.
 */
export async function cosignChange(
  username: string,
  password: string,
  fields: Parameters<typeof cosignMessage>[0],
): Promise<{ userId: string; signature: string }> {
  const client = await apiClient();
  try {
    const r = await client.sendJson<{ cosignerId: string; signature: string }>('POST', '/api/auth/cosign', {
      username,
      password,
      message: fields,
    });
    return { userId: r.cosignerId, signature: r.signature };
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const r = await cosignOffline(offlineStore, username, password, cosignMessage(fields), new Date());
    return { userId: r.userId, signature: r.signature };
  }
}

/** Exposed for tests: the HMAC the co-sign uses. */
export const cosignHmac = hmacHex;

/**
 * Drop every partition of the signed-in user that the memberships (by this PC's clock) no longer
 * allow — access loss purges even while offline (I7) — and re-arm the timer for the next change.
 */
async function enforceMemberships(): Promise<void> {
  const { user, memberships } = useSession.getState();
  if (membershipTimer) clearTimeout(membershipTimer);
  membershipTimer = null;
  if (!user) return;
  const allowed = new Set(currentTenants(memberships, user.id));
  for (const p of partitionsOf(user.id)) {
    if (!allowed.has(p.tenantId)) {
      await purge(user.id, p.tenantId);
      useWorkspace.setState({ notice: { key: 'access.lost', tenant: p.tenantId } });
    }
  }
  if (current && !allowed.has(current.tenantId)) await closeCurrent();
  useSession.getState().tick();
  const next = nextMembershipChange({ userId: user.id, memberships, now: new Date() });
  if (next) {
    // setTimeout holds at most ~24.8 days; re-check at least hourly anyway.
    const wait = Math.min(next.getTime() - Date.now() + 50, 3_600_000);
    membershipTimer = setTimeout(() => void serial(() => enforceMemberships()), Math.max(wait, 0));
  }
}

/** New memberships/policies from the server: purge what is gone, rebuild what changed. */
function applyMemberships(memberships: Membership[], policies: Record<string, TenantPolicy>): void {
  useSession.getState().setMemberships(memberships, policies);
  void serial(async () => {
    await enforceMemberships();
    const { user } = useSession.getState();
    const open = current;
    if (!user || !open) return;
    const m = memberships.find((x) => x.tenantId === open.tenantId);
    if (m && isStale(partitionInfo(user.id, open.tenantId), m.role, m.policyVersion)) {
      await fileUnsynced(open, 'rebuild');
      await closeCurrent();
      await openTenant(open.tenantId);
    }
  });
}

/**
 * Before a partition is rebuilt, push what is still local; whatever the server has not taken by
 * then is filed in Needs attention, never dropped silently (I6).
 */
async function fileUnsynced(
  open: { db: TenantDatabase; sync: TenantSync; tenantId: string },
  why: string,
): Promise<void> {
  await open.sync.flush(5000);
  await filePending(open.tenantId, await pendingChanges(open.db), `unsynced-before-${why}`);
}

/**
 * A partition found stale when it is opened (the role or policy changed while another tenant was
 * open, or the PC was off): what it still holds unpushed is filed in Needs attention before it is
 * rebuilt. It was written under the old role, so it is filed rather than pushed (I6).
 */
async function fileStalePartition(userId: string, tenantId: string, role: Role, key: string): Promise<void> {
  const pending = await pendingOfClosed(userId, tenantId, role, key);
  await filePending(tenantId, pending, 'unsynced-before-rebuild');
}

/**
 * The unpushed changes of a partition that is not open: opened briefly under the role it was
 * built with, then closed. Unreadable with this key: nothing in it can be recovered (none).
 */
async function pendingOfClosed(
  userId: string,
  tenantId: string,
  role: Role,
  key: string,
): Promise<PendingDoc[]> {
  let db: TenantDatabase;
  try {
    db = await openTenantDatabase(userId, tenantId, role, key);
  } catch {
    return [];
  }
  try {
    return await pendingChanges(db);
  } finally {
    await db.close();
  }
}

async function filePending(tenantId: string, pending: readonly PendingDoc[], code: string): Promise<void> {
  const userDb = useUserDb.getState().db;
  if (!userDb) return;
  await fileAttention(
    userDb,
    pending.map((p) => ({
      tenantId,
      collection: p.collection,
      docId: String(p.doc['id']),
      code,
      reason: 'Your access in this client changed before this change reached the server.',
      localVersion: p.doc,
      serverVersion: null,
    })),
  );
}

/** Who am I, asked at every connect and policy change; a slow older answer never wins. */
const askMe = inOrder(async () => (await apiClient()).me());

/** Ask the server for the memberships valid now (after a revocation or policy event). */
async function refreshMemberships(): Promise<void> {
  try {
    const me = await askMe();
    if (me) applyMemberships(me.memberships, me.policies);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) useWorkspace.setState({ needsSignIn: true });
  }
}

/** The Needs-attention collection of a synced collection (balances and locations are never pushed). */
function attentionCollection(collection: string): PendingDoc['collection'] {
  return collection === 'items' || collection === 'orders' || collection === 'receipts'
    ? collection
    : 'movements';
}

async function openTenant(tenantId: string): Promise<void> {
  const { user, memberships } = useSession.getState();
  if (!user || !dataKey) throw new Error('not signed in');
  const membership = memberships.find((m) => m.tenantId === tenantId);
  if (!membership || !currentTenants(memberships, user.id).includes(tenantId)) {
    throw new Error(`not authorized for ${tenantId}`);
  }
  if (current?.tenantId === tenantId) return;
  useWorkspace.setState({ opening: tenantId, error: null });
  try {
    await closeCurrent();
    // A partition built under another role or policy is rebuilt: newly hidden fields must vanish.
    const built = partitionInfo(user.id, tenantId);
    if (built && isStale(built, membership.role, membership.policyVersion)) {
      await fileStalePartition(user.id, tenantId, built.role, dataKey);
      await removeTenantDatabase(user.id, tenantId, dataKey);
    }
    let db: TenantDatabase;
    try {
      db = await timedStep('tenant-open', openTenantDatabase(user.id, tenantId, membership.role, dataKey));
    } catch {
      // Unreadable with this key (password changed) or an old schema: it is a cache, rebuild it.
      await removeTenantDatabase(user.id, tenantId, dataKey);
      db = await openTenantDatabase(user.id, tenantId, membership.role, dataKey);
    }
    recordPartition({
      userId: user.id,
      tenantId,
      role: membership.role,
      policyVersion: membership.policyVersion,
    });
    const client = await apiClient();
    const sync = startTenantSync({
      db,
      api: client,
      serverUrl,
      userId: user.id,
      tenantId,
      policyVersion: membership.policyVersion,
      status: useSyncStatus.getState(),
      onForbidden: () => {
        // The server says this tenant is no longer ours: purge now, then ask what is left.
        useSession.getState().setMemberships(
          useSession.getState().memberships.filter((m) => m.tenantId !== tenantId),
          useSession.getState().policies,
        );
        void serial(async () => {
          await purge(user.id, tenantId);
          useWorkspace.setState({ notice: { key: 'access.lost', tenant: tenantId } });
          await enforceMemberships();
        }).then(refreshMemberships);
      },
      onUnauthenticated: () => useWorkspace.setState({ needsSignIn: true }),
      onPolicyChanged: () => void refreshMemberships(),
      onConnected: () => {
        void refreshMemberships();
        void flushLocalAlerts(client, tenantId).catch(() => undefined);
      },
      onRejected: (collection, rejected) => {
        const userDb = useUserDb.getState().db;
        if (!userDb) return;
        fileAttention(
          userDb,
          rejected.map((r) => ({
            tenantId,
            collection: attentionCollection(collection),
            docId: r.id,
            code: r.code,
            reason: r.reason,
            localVersion: r.local,
            serverVersion: r.server,
          })),
        ).catch((e: unknown) => console.error('could not file rejected changes in Needs attention', e));
      },
      onRepaired: (collection, repaired) => noteRepairs(tenantId, collection, repaired),
      onMastersRestored: (collection, restored) => {
        const at = new Date().toISOString();
        for (const r of restored)
          repairLog.push({
            tenantId,
            collection,
            id: r.id,
            localSeq: r.seq,
            serverSeq: r.seq,
            pending: true,
            record: true,
            at,
          });
        console.warn(
          `[sync] restored RxDB's record of accepted ${collection} of ${tenantId}: ${restored.map((r) => r.id).join(', ')}`,
        );
      },
    });
    conflictContext(db.name).onUnmergeable = (collection, local, server, fields) => {
      const userDb = useUserDb.getState().db;
      if (!userDb) return;
      fileAttention(userDb, [
        {
          tenantId,
          collection: attentionCollection(collection),
          docId: String(local['id']),
          code: 'conflict',
          reason: fields.length
            ? `Changed on the server meanwhile: ${fields.join(', ')}. The server's version was kept.`
            : "The server's version was kept.",
          localVersion: local,
          serverVersion: server,
        },
      ]).catch((e: unknown) => console.error('could not file a conflict in Needs attention', e));
    };
    // Issue #5: synced, reflected movements past the pull horizon leave the partition (prune.ts).
    current = { db, sync, tenantId, stopPruning: startMovementPruning(db, sync) };
    useSession.getState().setActiveTenant(tenantId);
    useWorkspace.setState({ db, tenantId, opening: null });
  } catch (e) {
    useWorkspace.setState({ opening: null, error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

/** Close the open partition (if any) and open `tenantId`'s, then start its replication. */
export function switchTenant(tenantId: string): Promise<void> {
  return serial(() => openTenant(tenantId));
}

/**
 * Changes on this PC that a sign-out would destroy: only where a tenant wipes local data at
 * sign-out (shared PCs). The open partition first gets a few seconds to push; every partition
 * of the user is counted (closed ones are opened briefly). 0 when nothing would be lost.
 */
export async function unsyncedOnSignOut(): Promise<number> {
  const { user, policies } = useSession.getState();
  const wipe = Object.values(policies).some((p) => p.settings.wipeOnLogout);
  const key = dataKey;
  if (!user || !wipe || !key) return 0;
  return serial(async () => {
    let n = 0;
    const open = current;
    if (open) {
      await open.sync.flush(5000);
      n += (await pendingChanges(open.db)).length;
    }
    for (const p of partitionsOf(user.id)) {
      if (p.tenantId === open?.tenantId) continue;
      n += (await pendingOfClosed(user.id, p.tenantId, p.role, key)).length;
    }
    return n;
  });
}

/**
 * Sign out: stop sync, close the partition, revoke the refresh token on the server. Where any of
 * the user's tenants asks for it (shared PCs), wipe every local partition and the offline data.
 */
export async function signOut(): Promise<void> {
  const session = useSession.getState();
  const user = session.user;
  const wipe = Object.values(session.policies).some((p) => p.settings.wipeOnLogout);
  await serial(async () => {
    await closeCurrent();
    if (membershipTimer) clearTimeout(membershipTimer);
    membershipTimer = null;
    if (user && wipe) {
      for (const p of partitionsOf(user.id)) await purge(user.id, p.tenantId);
      await forgetOffline(offlineStore, user.username);
    }
    const userDb = useUserDb.getState().db;
    useUserDb.setState({ db: null });
    if (userDb) await userDb.close();
    if (user && wipe && dataKey) await removeUserDatabase(user.id, dataKey);
  });
  const key = refreshKey;
  refreshKey = null;
  dataKey = null;
  if (key) {
    const rt = await platform().getSecret(key);
    await platform().deleteSecret(key);
    if (rt && api) await api.logout(rt);
  }
  useSession.getState().clear();
  useWorkspace.setState({ needsSignIn: false, notice: null, error: null });
}

/**
 * Sign in again online without closing anything (after an offline sign-in or an expired session):
 * new tokens, fresh memberships, and the open partition resumes syncing.
 */
export async function reauthenticate(password: string): Promise<void> {
  const { user } = useSession.getState();
  if (!user) throw new Error('not signed in');
  const client = await apiClient();
  const res = await client.login(user.username, password, deviceId());
  await adoptOnlineLogin(res);
  useWorkspace.setState({ needsSignIn: false });
  applyMemberships(res.memberships, res.policies);
  current?.sync.reSync();
}

/** Who is acting on this PC right now, for audit entries (the server re-stamps the actor). */
export function currentActor(): { userId: string; deviceId: string } {
  const user = useSession.getState().user;
  if (!user) throw new Error('not signed in');
  return { userId: user.id, deviceId: deviceId() };
}

/** The session's principal for policy checks, by the PC's clock now. */
export function currentPrincipal() {
  return principalOf(useSession.getState());
}

/** Issue #7 diagnostics (TenantSync.inspect): RxDB's view of one document of the open partition. */
export function inspectSync(collection: SyncCollection, id: string): Promise<string> {
  return current ? current.sync.inspect(collection, id) : Promise.resolve('no partition open');
}
