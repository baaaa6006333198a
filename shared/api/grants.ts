import { z } from 'zod';
import { Role } from '../access/policy.js';
import { TenantId } from '../domain/schemas.js';

/** Life of a temporary authorization. `active`/`expired` are derived from the window. */
export const GrantStatus = z.enum(['pending', 'approved', 'rejected', 'revoked']);
export type GrantStatus = z.infer<typeof GrantStatus>;

/** Body of `POST /api/grants`: ask for a role in a tenant for a time window. */
export const GrantRequestBody = z
  .object({
    tenantId: TenantId,
    role: Role,
    validFrom: z.iso.datetime({ offset: true }),
    validUntil: z.iso.datetime({ offset: true }),
    reason: z.string().trim().min(3).max(500),
    /** An admin of the tenant may request on behalf of another user. */
    username: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => Date.parse(b.validUntil) > Date.parse(b.validFrom), {
    message: 'validUntil must be after validFrom',
  });
export type GrantRequestBody = z.infer<typeof GrantRequestBody>;

/** Body of approve / reject / revoke. */
export const GrantDecisionBody = z.object({ reason: z.string().trim().max(500).optional() }).strict();
export type GrantDecisionBody = z.infer<typeof GrantDecisionBody>;

/** One grant as `GET /api/grants` lists it. */
export const Grant = z.object({
  id: z.string(),
  tenantId: z.string(),
  userId: z.string(),
  username: z.string(),
  role: Role,
  validFrom: z.string(),
  validUntil: z.string(),
  reason: z.string(),
  status: GrantStatus,
  requestedBy: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  createdAt: z.string(),
  /** The caller may approve/reject it (not their own, approval rights in the tenant). */
  canDecide: z.boolean(),
  /** The caller may revoke it early. */
  canRevoke: z.boolean(),
});
export type Grant = z.infer<typeof Grant>;

/** Answer of `GET /api/grants`. */
export type GrantList = { grants: Grant[] };

/** A tenant as the grant request form offers it (`GET /api/tenants`). */
export type TenantSummary = { id: string; name: string };

/** A member of a tenant as its admin sees it (`GET /api/t/:tenant/members`). */
export type Member = {
  userId: string;
  username: string;
  displayName: string;
  role: Role;
  validFrom: string | null;
  validUntil: string | null;
  policyVersion: number;
};

/** Body of `PUT /api/t/:tenant/members/:userId` (admin): change a member's role. */
export const MemberUpdateBody = z.object({ role: Role }).strict();
