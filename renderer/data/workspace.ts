import { create } from 'zustand';
import { authorizedTenants, type Membership } from '../../shared/access/policy.js';
import type { LoginResponse } from '../../shared/api/auth.js';
import { platform } from '../platform/index.js';
import { useSession } from '../state/session.js';
import { useSyncStatus } from '../state/sync.js';
import { ApiClient } from './api.js';
import { openTenantDatabase, type TenantDatabase } from './database.js';
import { startTenantSync, type TenantSync } from './tenant-sync.js';

/** The open tenant partition, as UI state: which database handle screens read from. */
export type WorkspaceState = {
  db: TenantDatabase | null;
  tenantId: string | null;
  opening: string | null;
  error: string | null;
};

export const useWorkspace = create<WorkspaceState>()(() => ({
  db: null,
  tenantId: null,
  opening: null,
  error: null,
}));

const DEVICE_KEY = 'bulkhead.deviceId';

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
let current: { db: TenantDatabase; sync: TenantSync; tenantId: string } | null = null;
// Serialises open/close so a fast double switch never leaves two partitions open.
let queue: Promise<unknown> = Promise.resolve();

async function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (async () => {
    try {
      const rt = refreshKey ? await platform().getSecret(refreshKey) : null;
      if (!rt || !api) return null;
      const res = await api.refresh(rt);
      await adoptLogin(res);
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

async function adoptLogin(res: LoginResponse): Promise<void> {
  refreshKey = `refresh:${res.user.username.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  await platform().setSecret(refreshKey, res.refreshToken);
  useSession
    .getState()
    .setSession({ user: res.user, memberships: res.memberships, accessToken: res.accessToken });
}

/** Tenants the signed-in user may open right now, by the client's clock. */
export function currentTenants(memberships: readonly Membership[], userId: string): string[] {
  return authorizedTenants({ userId, memberships, now: new Date() });
}

/** Sign in online and open the first authorized tenant. */
export async function signIn(username: string, password: string): Promise<void> {
  const client = await apiClient();
  const res = await client.login(username, password, deviceId());
  await adoptLogin(res);
  const tenants = currentTenants(res.memberships, res.user.id);
  if (tenants[0]) await switchTenant(tenants[0]);
}

async function closeCurrent(): Promise<void> {
  const c = current;
  current = null;
  useWorkspace.setState({ db: null, tenantId: null });
  useSyncStatus.getState().reset();
  if (c) {
    await c.sync.stop();
    await c.db.close();
  }
}

/** Close the open partition (if any) and open `tenantId`'s, then start its replication. */
export function switchTenant(tenantId: string): Promise<void> {
  const run = async () => {
    const { user, memberships } = useSession.getState();
    if (!user) throw new Error('not signed in');
    const membership = memberships.find((m) => m.tenantId === tenantId);
    if (!membership || !currentTenants(memberships, user.id).includes(tenantId)) {
      throw new Error(`not authorized for ${tenantId}`);
    }
    if (current?.tenantId === tenantId) return;
    useWorkspace.setState({ opening: tenantId, error: null });
    try {
      await closeCurrent();
      const client = await apiClient();
      const db = await openTenantDatabase(user.id, tenantId, membership.role);
      const status = useSyncStatus.getState();
      const sync = startTenantSync({
        db,
        api: client,
        serverUrl,
        userId: user.id,
        tenantId,
        policyVersion: membership.policyVersion,
        status,
        onForbidden: () => {
          useWorkspace.setState({ error: 'forbidden' });
          void queue.then(closeCurrent);
        },
        onRejected: (collection, rejections) =>
          console.warn('server rejected changes', collection, rejections),
      });
      current = { db, sync, tenantId };
      useSession.getState().setActiveTenant(tenantId);
      useWorkspace.setState({ db, tenantId, opening: null });
    } catch (e) {
      useWorkspace.setState({ opening: null, error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  };
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

/** Sign out: stop sync, close the partition, revoke the refresh token on the server. */
export async function signOut(): Promise<void> {
  await (queue = queue.then(closeCurrent, closeCurrent));
  const key = refreshKey;
  refreshKey = null;
  if (key) {
    const rt = await platform().getSecret(key);
    await platform().deleteSecret(key);
    if (rt && api) await api.logout(rt);
  }
  useSession.getState().clear();
}
