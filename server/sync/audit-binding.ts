import { timingSafeEqual, createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { roleCan, Role as RoleSchema } from '../../shared/access/policy.js';
import type { ActivityEvent } from '../../shared/alerts/rules.js';
import type { ClientAuditEntry } from '../../shared/audit/entry.js';
import { cosignMessage } from '../../shared/audit/cosign.js';
import type { Destructiveness } from '../../shared/audit/destructive.js';
import { judgeChange, needsCosign, typedMatches } from '../../shared/audit/destructive.js';
import type { Rejection } from '../../shared/sync/protocol.js';
import type { NewAuditEntry } from '../audit/log.js';
import type { TenantScope } from '../db/scope.js';
import { membershipValidAt } from '../db/scope.js';
import type { DB } from '../db/types.js';

type Doc = Record<string, unknown>;

/** How a reason names a document of an entity. */
const NOUN: Record<string, string> = {
  items: 'item',
  movements: 'movement',
  orders: 'order',
  receipts: 'inbound notice',
};

/** What push needs beyond the scope to check confirmations: the co-sign key of a user. */
export type AuditBindingDeps = { cosignKey: (userId: string) => Buffer | Promise<Buffer> };

/** A refusal, as push reports it. */
export type Refusal = { code: Rejection['code']; reason: string };

/** The entry chained for an accepted change, and whether the change destroyed something. */
export type Bound = { entry: NewAuditEntry; destructive: boolean; activity: ActivityEvent[] };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How far a co-sign instant may lie ahead of the server clock (device clocks drift). */
const COSIGN_SKEW_MS = 5 * 60_000;

/**
 * Binds the changes of one push to the push's audit entries (I4) and checks confirmations (I5).
 * One instance per push: it remembers entry ids already used and SKUs it looked up.
 */
export class AuditBinder {
  private readonly byDoc = new Map<string, ClientAuditEntry[]>();
  private readonly usedIds = new Set<string>();
  private readonly skus = new Map<string, string | null>();
  /** Ids of this push's entries already in the chain (one query for the whole push). */
  private recorded: Promise<Set<string>> | null = null;

  constructor(
    private readonly tx: Kysely<DB>,
    private readonly scope: TenantScope,
    private readonly entity: 'items' | 'movements' | 'balances' | 'orders' | 'receipts',
    audit: readonly ClientAuditEntry[],
    private readonly now: Date,
    private readonly deps: AuditBindingDeps | undefined,
  ) {
    for (const e of audit) {
      if (e.entity !== entity) continue;
      const list = this.byDoc.get(e.entityId) ?? [];
      list.push(e);
      this.byDoc.set(e.entityId, list);
    }
  }

  /** The push's entries naming document `id`, in the order sent. */
  entriesFor(id: string): ClientAuditEntry[] {
    return this.byDoc.get(id) ?? [];
  }

  /** An entry naming this document claims another actor: refused before anything else. */
  actorMismatch(id: string): Refusal | null {
    const bad = this.entriesFor(id).find((e) => e.actorId !== this.scope.userId);
    return bad
      ? {
          code: 'actor-mismatch',
          reason: `audit entry ${bad.id} names ${bad.actorId} as the actor, but ${this.scope.userId} is signed in`,
        }
      : null;
  }

  /** SKU of an item of this tenant (movements name items by id). */
  async skuOf(itemId: string): Promise<string | null> {
    if (!this.skus.has(itemId)) {
      const r = await this.tx
        .selectFrom('items')
        .select('sku')
        .where('tenant_id', '=', this.scope.tenantId)
        .where('id', '=', itemId)
        .executeTakeFirst();
      this.skus.set(itemId, r?.sku ?? null);
    }
    return this.skus.get(itemId) ?? null;
  }

  /**
   * Judges one change that would be applied: its audit entries, rollback rules, confirmation and
   * co-sign. `before` is the stored document (null when new), `after` the full document as it will
   * be stored, `action` what the change does (create, update or delete).
   */
  async bind(
    id: string,
    before: Doc | null,
    after: Doc,
    action: 'create' | 'update' | 'delete',
  ): Promise<Bound | Refusal> {
    const { tenantId, userId, role } = this.scope;
    const entity = this.entity === 'balances' ? 'movements' : this.entity;
    const entries = this.entriesFor(id);
    const last = entries[entries.length - 1];
    if (!last)
      return {
        code: 'audit-missing',
        reason: `the change of ${entity} ${id} arrived without its audit entry; every change must carry one`,
      };
    if (entries.some((e) => e.action === 'discard'))
      return { code: 'invalid', reason: "a 'discard' entry cannot accompany a change" };
    if (this.usedIds.has(last.id.toLowerCase()) || (await this.entryExists(last.id)))
      return { code: 'invalid', reason: `audit entry ${last.id} is already recorded for another change` };

    const reversalOf = typeof after['reversalOf'] === 'string' ? after['reversalOf'] : null;
    const rollback = last.action === 'rollback' || reversalOf !== null;
    if (rollback) {
      if (!roleCan(role, 'audit:rollback'))
        return { code: 'forbidden', reason: `role ${role} may not roll back changes` };
      const target = last.compensates ?? null;
      if (last.action !== 'rollback' || target === null)
        return {
          code: 'invalid',
          reason: "a rollback carries action 'rollback' and names the audit entry it compensates",
        };
      const compensated = await this.tx
        .selectFrom('audit_log')
        .select(['entity', 'entity_id'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', target)
        .executeTakeFirst();
      const sameThing =
        compensated !== undefined &&
        compensated.entity === entity &&
        (compensated.entity_id === id || compensated.entity_id === reversalOf);
      if (!sameThing)
        return {
          code: 'invalid',
          reason: `the rollback names audit entry ${target}, which is not an entry of this ${NOUN[entity] ?? entity}`,
        };
    }

    // Which changes destroy something is the shared rule; an item rollback is confirmed by its SKU.
    // The SKU is looked up only for destructive movements (most are not): judge, then judge again.
    let judged: Destructiveness = judgeChange({ entity, before, after, skuOf: () => null });
    if (judged.destructive && entity === 'movements') {
      const sku = await this.skuOf(typeof after['itemId'] === 'string' ? after['itemId'] : '');
      judged = judgeChange({ entity, before, after, skuOf: () => sku });
    }
    if (!judged.destructive && rollback) {
      const sku0 = after['sku'] ?? before?.['sku'];
      const identifying = typeof sku0 === 'string' ? sku0 : '';
      judged = { destructive: true, kind: 'rollback', identifying, quantity: 0 };
    }
    const confirmation = last.confirmation;
    if (judged.destructive) {
      const what = `${judged.kind} of ${NOUN[entity] ?? entity} ${judged.identifying || id}`;
      if (confirmation === null)
        return {
          code: 'confirmation-required',
          reason: `the ${what} needs a confirmation: retype ${judged.identifying || 'the identifying value'} and give a reason`,
        };
      if (!typedMatches(confirmation.typed, judged.identifying))
        return {
          code: 'confirmation-invalid',
          reason: `the confirmation does not match: retype ${judged.identifying || 'the identifying value'} exactly`,
        };
      if (needsCosign(judged, this.scope.policy.settings.cosignAboveQuantity) && !confirmation.cosign)
        return {
          code: 'cosign-invalid',
          reason: `the ${what} moves ${judged.quantity} (more than ${this.scope.policy.settings.cosignAboveQuantity}): a second person with co-sign rights must co-sign`,
        };
    }
    if (confirmation?.cosign) {
      const bad = await this.checkCosign(entity, id, last, confirmation);
      if (bad) return bad;
    }

    this.usedIds.add(last.id.toLowerCase());
    // Earlier local edits folded into this entry; one the chain already holds (its push was
    // applied, the answer lost) is not folded again.
    const earlier: ClientAuditEntry[] = [];
    for (const e of entries.slice(0, -1)) if (!(await this.entryExists(e.id))) earlier.push(e);
    const collapsed =
      earlier.length === 0
        ? ''
        : ` [collapses ${earlier.length} earlier local edit${earlier.length === 1 ? '' : 's'}: ${earlier
            .map((e) => (e.reason ? `${e.id} (${e.reason})` : e.id))
            .join('; ')}]`;
    const reason = `${last.reason ?? ''}${collapsed}`.trim();
    const deviceMs = Math.min(Date.parse(last.deviceTime), this.now.getTime());
    const deviceTime = new Date(deviceMs);
    const activity: ActivityEvent[] = [{ tenantId, userId, at: deviceTime.toISOString(), kind: 'change' }];
    if (judged.destructive)
      activity.push({ tenantId, userId, at: deviceTime.toISOString(), kind: 'destructive' });
    return {
      destructive: judged.destructive,
      activity,
      entry: {
        tenantId,
        id: last.id,
        actorId: userId,
        deviceId: last.deviceId,
        deviceTime: new Date(Date.parse(last.deviceTime)),
        action: rollback ? 'rollback' : action,
        entity,
        entityId: id,
        before,
        after,
        reason: reason === '' ? null : reason,
        confirmation,
        compensates: last.compensates ?? null,
        at: this.now,
      },
    };
  }

  /**
   * Ids (UUIDs, as sent) of this push's entries that the chain may already hold: what
   * `entryExists` looks up. A caller that reads them along with other rows of the push hands the
   * ids it found to `setRecorded`, saving this lookup's round trip. Other ids cannot be stored
   * (the column is uuid).
   */
  entryIds(): string[] {
    return [...this.byDoc.values()].flatMap((list) => list.map((e) => e.id)).filter((id) => UUID_RE.test(id));
  }

  /** The ids of `entryIds()` found in the chain (by the caller, in this transaction). */
  setRecorded(found: Iterable<string>): void {
    this.recorded = Promise.resolve(new Set([...found].map((id) => id.toLowerCase())));
  }

  private async entryExists(id: string): Promise<boolean> {
    this.recorded ??= (async () => {
      const ids = this.entryIds();
      const found = new Set<string>();
      for (let i = 0; i < ids.length; i += 1000) {
        const rows = await this.tx
          .selectFrom('audit_log')
          .select('id')
          .where('tenant_id', '=', this.scope.tenantId)
          .where('id', 'in', ids.slice(i, i + 1000))
          .execute();
        for (const r of rows) found.add(r.id.toLowerCase());
      }
      return found;
    })();
    return (await this.recorded).has(id.toLowerCase());
  }

  /** A co-sign: another user, holding `cosign` in this tenant at the co-sign instant, valid HMAC. */
  private async checkCosign(
    entity: string,
    id: string,
    last: ClientAuditEntry,
    confirmation: NonNullable<ClientAuditEntry['confirmation']>,
  ): Promise<Refusal | null> {
    const c = confirmation.cosign;
    if (!c) return null;
    const { tenantId, userId } = this.scope;
    if (c.userId === userId) return { code: 'cosign-invalid', reason: 'nobody co-signs their own change' };
    const at = new Date(c.at);
    if (at.getTime() > this.now.getTime() + COSIGN_SKEW_MS)
      return { code: 'cosign-invalid', reason: 'the co-sign time lies in the future' };
    const m = await this.tx
      .selectFrom('memberships')
      .select('role')
      .where('user_id', '=', c.userId)
      .where('tenant_id', '=', tenantId)
      .where(membershipValidAt(at))
      .executeTakeFirst();
    const cosignerRole = m ? RoleSchema.safeParse(m.role) : null;
    if (!cosignerRole?.success || !roleCan(cosignerRole.data, 'cosign'))
      return {
        code: 'cosign-invalid',
        reason: `${c.userId} could not co-sign in this tenant at ${c.at} (co-signing needs a manager or admin)`,
      };
    if (!this.deps) return { code: 'cosign-invalid', reason: 'co-signatures cannot be checked here' };
    const message = cosignMessage({
      tenantId,
      entity,
      entityId: id,
      action: last.action,
      typed: confirmation.typed,
      reason: confirmation.reason,
      at: c.at,
    });
    const key = await this.deps.cosignKey(c.userId);
    const expected = createHmac('sha256', key).update(message).digest();
    const got = Buffer.from(c.signature, 'hex');
    if (got.length !== expected.length || !timingSafeEqual(got, expected))
      return { code: 'cosign-invalid', reason: 'the co-signature does not match this change' };
    return null;
  }
}

/** Is `x` a refusal (not a bound entry)? */
export const isRefusal = (x: Bound | Refusal): x is Refusal => 'code' in x;

/**
 * A reversing movement (rollback of a movement) must name a stored movement of the tenant for the
 * same item, with from/to swapped and the same quantity and batch, not reversed before. Pending
 * movements of the push must be flushed first. Returns the problem, or null.
 */
export async function reversalProblem(
  tx: Kysely<DB>,
  tenantId: string,
  m: {
    id: string;
    itemId: string;
    quantity: number;
    batch: string | null;
    fromLocationId: string | null;
    toLocationId: string | null;
    reversalOf?: string | null;
  },
): Promise<string | null> {
  const target = m.reversalOf;
  if (!target) return null;
  const orig = await tx
    .selectFrom('movements')
    .select(['item_id', 'quantity', 'batch', 'from_location_id', 'to_location_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', target)
    .executeTakeFirst();
  if (!orig) return `reversalOf names movement ${target}, which does not exist in this tenant`;
  const mirrors =
    orig.item_id === m.itemId &&
    Number(orig.quantity) === m.quantity &&
    orig.batch === m.batch &&
    orig.from_location_id === m.toLocationId &&
    orig.to_location_id === m.fromLocationId;
  if (!mirrors)
    return `a reversal must mirror movement ${target}: same item, quantity and batch, with from and to swapped`;
  const already = await tx
    .selectFrom('movements')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('reversal_of', '=', target)
    .executeTakeFirst();
  if (already) return `movement ${target} was already reversed by ${already.id}`;
  return null;
}
