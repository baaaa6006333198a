import { create } from 'zustand';
import type { Membership } from '../../shared/access/policy.js';
import type { PublicUser } from '../../shared/api/auth.js';

/** Session state (UI only; domain data lives in RxDB). */
export type SessionState = {
  user: PublicUser | null;
  memberships: Membership[];
  accessToken: string | null;
  activeTenant: string | null;
  setSession(s: { user: PublicUser; memberships: Membership[]; accessToken: string }): void;
  setAccessToken(token: string | null): void;
  setMemberships(m: Membership[]): void;
  setActiveTenant(tenantId: string | null): void;
  clear(): void;
};

export const useSession = create<SessionState>()((set) => ({
  user: null,
  memberships: [],
  accessToken: null,
  activeTenant: null,
  setSession: ({ user, memberships, accessToken }) => set({ user, memberships, accessToken }),
  setAccessToken: (accessToken) => set({ accessToken }),
  setMemberships: (memberships) => set({ memberships }),
  setActiveTenant: (activeTenant) => set({ activeTenant }),
  clear: () => set({ user: null, memberships: [], accessToken: null, activeTenant: null }),
}));
