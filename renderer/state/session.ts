import { create } from 'zustand';
import type { Membership, Principal, TenantPolicy } from '../../shared/access/policy.js';
import type { PublicUser } from '../../shared/api/auth.js';

/** Session state (UI only; domain data lives in RxDB). */
export type SessionState = {
  user: PublicUser | null;
  memberships: Membership[];
  /** Field policies of the user's tenants (from login, /api/me or the offline ticket). */
  policies: Record<string, TenantPolicy>;
  /** Signed in against the offline ticket: no access token until the server is reachable. */
  offline: boolean;
  /** Bumped at every membership start/expiry so views re-evaluate the policy by the clock. */
  clockTick: number;
  accessToken: string | null;
  activeTenant: string | null;
  setSession(s: {
    user: PublicUser;
    memberships: Membership[];
    policies: Record<string, TenantPolicy>;
    accessToken: string | null;
    offline: boolean;
  }): void;
  tick(): void;
  setAccessToken(token: string | null): void;
  setMemberships(m: Membership[], policies: Record<string, TenantPolicy>): void;
  setActiveTenant(tenantId: string | null): void;
  clear(): void;
};

export const useSession = create<SessionState>()((set) => ({
  user: null,
  memberships: [],
  policies: {},
  offline: false,
  clockTick: 0,
  accessToken: null,
  activeTenant: null,
  setSession: ({ user, memberships, policies, accessToken, offline }) =>
    set({ user, memberships, policies, accessToken, offline }),
  tick: () => set((s) => ({ clockTick: s.clockTick + 1 })),
  setAccessToken: (accessToken) => set({ accessToken }),
  setMemberships: (memberships, policies) => set({ memberships, policies }),
  setActiveTenant: (activeTenant) => set({ activeTenant }),
  clear: () =>
    set({ user: null, memberships: [], policies: {}, offline: false, accessToken: null, activeTenant: null }),
}));

/** The signed-in user as the shared policy sees them, by this PC's clock now. */
export function principalOf(s: Pick<SessionState, 'user' | 'memberships' | 'policies'>): Principal | null {
  if (!s.user) return null;
  return { userId: s.user.id, memberships: s.memberships, policies: s.policies, now: new Date() };
}

/** The signed-in user for the shared policy, re-read at every membership start or lapse. */
export function usePrincipal(): Principal | null {
  const user = useSession((s) => s.user);
  const memberships = useSession((s) => s.memberships);
  const policies = useSession((s) => s.policies);
  // Subscribing to the tick re-renders (and so re-judges by the clock) when a window opens or closes.
  useSession((s) => s.clockTick);
  return principalOf({ user, memberships, policies });
}
