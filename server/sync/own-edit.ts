import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';

/**
 * Whether the stored version of a document is this PC's own earlier edit whose answer was lost:
 * the latest chain entry of the document is one the push carries again (its local entries are
 * kept until the server's version is pulled back, and later edits append to them). The push then
 * continues from the stored version instead of conflicting with itself; entries of other writers
 * in between make it a real conflict.
 */
export async function storedIsOwnEdit(
  tx: Kysely<DB>,
  tenantId: string,
  entity: string,
  entityId: string,
  userId: string,
  carried: readonly { id: string }[],
): Promise<boolean> {
  if (carried.length < 1) return false;
  const last = await tx
    .selectFrom('audit_log')
    .select(['id', 'actor_id'])
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .where('entity_id', '=', entityId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last || last.actor_id !== userId) return false;
  const id = last.id.toLowerCase();
  return carried.some((e) => e.id.toLowerCase() === id);
}
