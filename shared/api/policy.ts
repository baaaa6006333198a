import { z } from 'zod';
import { FieldOverrides, TenantSettings } from '../access/policy.js';

/** Body of `PUT /api/t/:tenant/policy` (admin): the tenant's overrides and settings, replaced whole. */
export const PolicyUpdateBody = z
  .object({
    overrides: FieldOverrides,
    settings: TenantSettings,
    /** Optimistic concurrency: the version the admin edited. */
    expectedVersion: z.number().int().nonnegative(),
    reason: z.string().trim().min(3).max(500),
  })
  .strict();
export type PolicyUpdateBody = z.infer<typeof PolicyUpdateBody>;
