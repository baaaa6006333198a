import { z } from 'zod';

/** One audit entry as `GET /api/t/:tenant/audit` returns it (before/after projected for the reader). */
export type AuditEntry = {
  id: string;
  seq: number;
  tenantId: string;
  at: string;
  actorId: string;
  deviceId: string | null;
  action: string;
  /** A policy entity (`items`, …) or `policy`, `membership`, `grant`, `report`. */
  entity: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
};

/** Answer of `GET /api/t/:tenant/audit`: newest first; `nextBefore` pages further back. */
export type AuditPage = { entries: AuditEntry[]; nextBefore: number | null };

/** Query of `GET /api/t/:tenant/audit`: at most `limit` entries with `seq < before`. */
export const AuditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.coerce.number().int().positive().optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;
