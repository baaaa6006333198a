import { z } from 'zod';
import { Membership, TenantPolicy } from '../access/policy.js';

/** Body of `POST /api/auth/login`. */
export const LoginRequest = z
  .object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(256),
    deviceId: z.string().min(1).max(64),
  })
  .strict();
export type LoginRequest = z.infer<typeof LoginRequest>;

/** Body of `POST /api/auth/refresh` and `POST /api/auth/logout`. */
export const RefreshRequest = z.object({ refreshToken: z.string().min(10).max(512) }).strict();
export type RefreshRequest = z.infer<typeof RefreshRequest>;

/** The signed-in user as the server describes it. */
export const PublicUser = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
});
export type PublicUser = z.infer<typeof PublicUser>;

/** Field policies of the tenants a user belongs to, by tenant id. */
export const TenantPolicies = z.record(z.string(), TenantPolicy);
export type TenantPolicies = z.infer<typeof TenantPolicies>;

/** Answer of login and refresh. The offline ticket is a compact JWS (EdDSA) of `OfflineTicketClaims`. */
export const LoginResponse = z.object({
  accessToken: z.string(),
  accessTokenExpiresAt: z.string(),
  refreshToken: z.string(),
  offlineTicket: z.string(),
  user: PublicUser,
  memberships: z.array(Membership),
  policies: TenantPolicies.default({}),
  /** This user's co-sign key (hex): kept encrypted under the password to co-sign offline. */
  cosignKey: z.string().optional(),
});
export type LoginResponse = z.infer<typeof LoginResponse>;

/** Answer of `GET /api/me`: memberships valid at the instant of the request, and their policies. */
export const MeResponse = z.object({
  user: PublicUser,
  memberships: z.array(Membership),
  policies: TenantPolicies.default({}),
});
export type MeResponse = z.infer<typeof MeResponse>;

/**
 * Claims of the offline ticket, verified on the client with the server's Ed25519 public key
 * (`GET /api/auth/offline-key`). Memberships include future grants so they can start offline.
 */
export const OfflineTicketClaims = z.object({
  sub: z.string(),
  username: z.string(),
  displayName: z.string().optional(),
  memberships: z.array(Membership),
  policies: TenantPolicies.default({}),
  offlineUntil: z.string(),
});
export type OfflineTicketClaims = z.infer<typeof OfflineTicketClaims>;
