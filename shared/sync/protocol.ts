import { z } from 'zod';
import { ClientAuditEntry } from '../audit/entry.js';
import { BalanceDoc, DocId, ItemDoc, MovementDoc } from '../domain/schemas.js';
import { LocationDoc, OrderDoc, ReceiptDoc, type OrderStatus, type ReceiptStatus } from '../domain/floor.js';

/**
 * Collections that replicate, by their local (and URL) names. `locations` is site-wide reference
 * data: pulled (read-only) into every tenant partition.
 */
export const SyncCollection = z.enum(['items', 'movements', 'balances', 'receipts', 'orders', 'locations']);
export type SyncCollection = z.infer<typeof SyncCollection>;

/**
 * The movement horizon of a client partition (issue #5, large tenants), in days: a PC pulls the
 * movements the server received this recently, plus every movement of an order or inbound notice
 * still being worked on (`OPEN_ORDER_STATUSES`, `OPEN_RECEIPT_STATUSES`). The client prunes synced
 * movements older than this (plus a day) from its partition by the same rule.
 */
export const MOVEMENT_HORIZON_DAYS = 7;

/** Order statuses of an order still being worked on: its movements stay on a PC whatever their age. */
export const OPEN_ORDER_STATUSES: readonly OrderStatus[] = ['open', 'picking', 'packed'];

/** Notice statuses of an inbound notice still being received: its movements stay on a PC likewise. */
export const OPEN_RECEIPT_STATUSES: readonly ReceiptStatus[] = ['open', 'receiving'];

/** Collections the client may push to; balances are derived on the server, locations are reference data. */
export const PUSHABLE: readonly SyncCollection[] = ['items', 'movements', 'receipts', 'orders'];

/**
 * Replication checkpoint: the tenant's server sequence, never a client clock. Balances carry
 * `base` too: the highest balance sequence when this client's first pull began. A balance at zero
 * that has not changed since (sequence at or below `base`) was never sent to this client, which
 * therefore does not hold it: it is left out (a balance that reaches zero later is always sent).
 */
export const Checkpoint = z
  .object({ seq: z.number().int().nonnegative(), base: z.number().int().nonnegative().optional() })
  .strict();
export type Checkpoint = z.infer<typeof Checkpoint>;

/** Query string of `GET …/pull`. `checkpoint` is the last seq seen (absent on the first pull). */
export const PullQuery = z
  .object({
    checkpoint: z.coerce.number().int().nonnegative().optional(),
    /**
     * Balances: the `base` of the checkpoint (see `Checkpoint`). Also on a first pull (no
     * checkpoint) from a PC that already holds balances and lost its checkpoint: its base stays.
     */
    base: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(5000).default(1000),
  })
  .strict();
export type PullQuery = z.infer<typeof PullQuery>;

/** Answer of `GET …/pull`; `total` (documents still to come, this page included) only on the first page. */
export type PullResponse<D = Record<string, unknown>> = {
  documents: D[];
  checkpoint: Checkpoint | null;
  total?: number;
};

/** Collections whose local copies a client may have checked against the server (`POST …/stale`). */
export const StaleCollection = z.enum(['orders', 'receipts']);
export type StaleCollection = z.infer<typeof StaleCollection>;

/** Most `[id, seq]` pairs one `POST …/stale` may carry. */
export const STALE_MAX = 5000;

/**
 * Body of `POST …/stale`: the versions this PC holds, as `[id, seq]` pairs. The answer
 * (`StaleResponse`) carries, as pull would deliver them, the documents the server holds newer.
 */
export const StaleRequest = z
  .object({
    versions: z.array(z.tuple([DocId, z.number().int().nonnegative()])).max(STALE_MAX),
  })
  .strict();
export type StaleRequest = z.infer<typeof StaleRequest>;

/**
 * Answer of `POST …/stale`: of the ids sent, those of this tenant that the server holds at a
 * higher sequence, projected for the caller as pull projects them (deleted ones as tombstones).
 * Unknown ids and other tenants' ids are left out without a word.
 */
export type StaleResponse<D = Record<string, unknown>> = { documents: D[] };

/** Documents as they travel, by collection (projected: hidden fields may be absent). */
export const DOC_SCHEMAS = {
  items: ItemDoc,
  movements: MovementDoc,
  balances: BalanceDoc,
  receipts: ReceiptDoc,
  orders: OrderDoc,
  locations: LocationDoc,
} as const;

/** One row of a push: what the client believed the master was, and what it wants now. */
export const PushRow = z
  .object({
    assumedMasterState: z.record(z.string(), z.unknown()).nullable().optional(),
    newDocumentState: z.record(z.string(), z.unknown()),
  })
  .strict();
export type PushRow = z.infer<typeof PushRow>;

/**
 * Body of `POST …/push`: the changes and, for each, at least one audit entry naming its document
 * (`entityId`). A change without its audit entry is rejected (`audit-missing`).
 */
export const PushRequest = z
  .object({
    changes: z.array(PushRow).min(1).max(500),
    audit: z.array(ClientAuditEntry).max(2000).default([]),
  })
  .strict();
export type PushRequest = z.infer<typeof PushRequest>;

/** Why the server refused one change. */
export const RejectionCode = z.enum([
  'forbidden',
  'invalid',
  'wrong-tenant',
  'immutable',
  'conflict',
  'audit-missing',
  'actor-mismatch',
  'confirmation-required',
  'confirmation-invalid',
  'cosign-invalid',
  /** A pick, ship, transfer or put-away would take a balance below zero. */
  'insufficient-stock',
]);
export type RejectionCode = z.infer<typeof RejectionCode>;

/** A refused change: reported so the client can file it in Needs attention (I6). */
export type Rejection = { id: string; code: RejectionCode; reason: string };

/**
 * Answer of `POST …/push`. `conflicts` are current master documents (projected for the caller),
 * as RxDB expects; every rejected change also appears there so the client returns to the
 * server state, and in `rejections` with the reason.
 */
export type PushResponse<D = Record<string, unknown>> = {
  conflicts: D[];
  rejections: Rejection[];
  /**
   * Changes the server accepted (movements: or already had), with the tenant sequence each got.
   * The client needs a movement's until the movement itself is pulled back (a balance pulled
   * earlier already counts it), and a document's to know which version its push made.
   */
  accepted?: { id: string; seq: number }[];
};

/** Events on `GET /api/t/:tenant/sync/stream` (server-sent events; `event:` is the type). */
export type StreamEvent =
  | { type: 'hello'; tenantId: string; seq: number }
  | { type: 'change'; tenantId: string; seq: number; collections: SyncCollection[] }
  | { type: 'membership-revoked'; tenantId: string }
  | { type: 'policy-changed'; tenantId: string; policyVersion: number }
  /** A new anomaly alert (only to members who may read alerts); fetch it from `…/alerts`. */
  | { type: 'alert'; tenantId: string; alertId: string; rule: string }
  | { type: 'session-ended' };

/** The error body of every 4xx/5xx answer. */
export type ErrorBody = { error: { code: string; message: string; details?: unknown } };
