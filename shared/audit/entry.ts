import { z } from 'zod';
import { Confirmation } from './chain.js';

/** What a change did. Movements are always `create` (the ledger is append-only). */
export const AuditAction = z.enum(['create', 'update', 'delete', 'rollback', 'discard']);
export type AuditAction = z.infer<typeof AuditAction>;

/**
 * An audit entry as the client records it, in the same local write as the change it describes
 * (it rides inside the document as `pendingAudit` until pushed) and sends in the push body's
 * `audit` array. The server stamps server time and the authenticated actor, refuses an entry
 * whose `actorId` is not the caller, and chains what it accepts.
 */
export const ClientAuditEntry = z
  .object({
    id: z.uuid(),
    entity: z.enum(['items', 'movements', 'orders', 'receipts']),
    entityId: z.string().min(1).max(200),
    action: AuditAction,
    /** The client's claim of who acted; must equal the authenticated user. */
    actorId: z.string().min(1).max(64),
    deviceId: z.string().min(1).max(64),
    deviceTime: z.iso.datetime({ offset: true }),
    reason: z.string().trim().max(500).nullable(),
    confirmation: Confirmation.nullable(),
    /** For `rollback`: the audit entry id this change compensates. */
    compensates: z.string().max(64).nullable().optional(),
  })
  .strict();
export type ClientAuditEntry = z.infer<typeof ClientAuditEntry>;

/** Field name under which a local document carries its not-yet-pushed audit entries. */
export const PENDING_AUDIT = 'pendingAudit';
