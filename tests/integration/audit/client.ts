/** What the audit suites do as a client would: push changes with their audit entries, co-sign. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Confirmation } from '../../../shared/audit/chain.js';
import { cosignMessage } from '../../../shared/audit/cosign.js';
import { cosignSignature } from '../../../shared/audit/cosign-sign.js';
import type { ClientAuditEntry } from '../../../shared/audit/entry.js';
import type { MovementDoc } from '../../../shared/domain/schemas.js';
import type { PushResponse } from '../../../shared/sync/protocol.js';
import type { DB } from '../../../server/db/types.js';
import { stableUuid } from '../../../server/db/seed.js';
import { api, auditEntry } from '../../helpers/server.js';

export type Doc = Record<string, unknown>;
export type Session = { userId: string; token: string; cosignKey: string };

export function movement(tenant: string, over: Partial<MovementDoc> = {}): MovementDoc {
  return {
    id: randomUUID(),
    tenantId: tenant,
    itemId: stableUuid(`${tenant}/item/1`),
    type: 'receipt',
    quantity: 3,
    fromLocationId: null,
    toLocationId: 'A-05-09',
    batch: null,
    note: null,
    createdAt: new Date().toISOString(),
    createdBy: 'whoever',
    deviceId: 'pc-1',
    seq: 0,
    ...over,
  };
}

/** A write-off of `quantity` of item `n` from its seeded location. */
export const writeOff = (tenant: string, quantity: number, n = 1): MovementDoc =>
  movement(tenant, {
    itemId: stableUuid(`${tenant}/item/${n}`),
    type: 'adjustment',
    quantity,
    fromLocationId: 'A-02-01',
    toLocationId: null,
  });

/** A co-signed confirmation, signed as the client does with the co-signer's key from login. */
export async function cosigned(
  by: Session,
  c: { tenantId: string; entity: string; entityId: string; action: string; typed: string; reason: string },
  at = new Date().toISOString(),
): Promise<Confirmation> {
  const signature = await cosignSignature(by.cosignKey, cosignMessage({ ...c, at }));
  return { typed: c.typed, reason: c.reason, cosign: { userId: by.userId, at, signature } };
}

/** Pushes changes of one collection; `entries` default to one entry per change by `as`. */
export async function pushChanges(
  url: string,
  as: Session,
  tenant: string,
  collection: 'items' | 'movements',
  changes: { assumedMasterState?: Doc | null; newDocumentState: Doc }[],
  entries?: ClientAuditEntry[],
  over: Partial<ClientAuditEntry> = {},
) {
  const audit =
    entries ??
    changes.map((c) =>
      auditEntry(as.userId, collection, String(c.newDocumentState.id), {
        action: collection === 'movements' ? 'create' : 'update',
        ...over,
      }),
    );
  return api<PushResponse<Doc>>(url, `/api/t/${tenant}/sync/${collection}/push`, {
    token: as.token,
    body: { changes, audit },
  });
}

/** Audit rows of a document, read as the owner. */
export const entriesOf = (db: Kysely<DB>, tenant: string, entityId: string) =>
  db
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', tenant)
    .where('entity_id', '=', entityId)
    .orderBy('seq')
    .execute();

/** The stored item as the owner reads it, in the wire shape (for assumedMasterState). */
export async function pulledItem(url: string, as: Session, tenant: string, id: string): Promise<Doc> {
  const r = await api<{ documents: Doc[] }>(url, `/api/t/${tenant}/sync/items/pull?limit=5000`, {
    token: as.token,
  });
  const d = r.body.documents.find((x) => x.id === id);
  if (!d) throw new Error(`item ${id} not pulled`);
  return d;
}

/** Signs in a demo user and keeps what a client keeps: id, token, co-sign key. */
export async function session(url: string, username: string): Promise<Session> {
  const { login } = await import('../../helpers/server.js');
  const r = await login(url, username);
  if (!r.cosignKey) throw new Error('login returned no cosignKey');
  return { userId: r.user.id, token: r.accessToken, cosignKey: r.cosignKey };
}
