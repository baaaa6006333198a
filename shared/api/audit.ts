import { z } from 'zod';
import type { ChainedEntry, ChainVerdict, Confirmation } from '../audit/chain.js';
import { ClientAuditEntry } from '../audit/entry.js';

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
  /** Chain fields (issue 4): the reader verifies linkage with `verifyChain` from shared/audit/chain. */
  deviceTime?: string | null;
  confirmation?: Confirmation | null;
  beforeHash?: string | null;
  afterHash?: string | null;
  prevHash?: string;
  hash?: string;
  /** For a rollback: the audit entry it compensates (part of the chain only when set). */
  compensates?: string | null;
};

/** Answer of `GET /api/t/:tenant/audit`: newest first; `nextBefore` pages further back. */
export type AuditPage = { entries: AuditEntry[]; nextBefore: number | null };

/**
 * Query of `GET /api/t/:tenant/audit`: at most `limit` entries with `seq < before`, optionally
 * filtered by actor (user id), entity, action, entity id and server time (`from` ≤ at ≤ `to`).
 */
export const AuditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.coerce.number().int().positive().optional(),
    actor: z.string().min(1).max(64).optional(),
    entity: z.string().min(1).max(64).optional(),
    action: z.string().min(1).max(64).optional(),
    entityId: z.string().min(1).max(200).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;

/** Query of `GET /api/t/:tenant/audit/chain`: entries with `seq > afterSeq`, in order. */
export const AuditChainQuery = z
  .object({
    afterSeq: z.coerce.number().int().nonnegative().default(0),
    limit: z.coerce.number().int().min(1).max(5000).default(1000),
  })
  .strict();
export type AuditChainQuery = z.infer<typeof AuditChainQuery>;

/**
 * Answer of `GET /api/t/:tenant/audit/chain`: chained entries without snapshots, and the head the
 * server records for the tenant (so a verifier also notices entries cut off the end).
 */
export type AuditChainPage = {
  entries: ChainedEntry[];
  head: { seq: number; hash: string };
  nextAfterSeq: number | null;
};

/** Answer of `GET /api/t/:tenant/audit/verify`: the verdict over full entries and snapshots. */
export type AuditVerifyAnswer = ChainVerdict;

/**
 * Body of `POST /api/t/:tenant/audit`: audit-only records. Only `discard` (the user dropped a
 * rejected local change from Needs attention); `localVersion` is the local document discarded.
 */
export const AuditRecordBody = z
  .object({
    entries: z
      .array(
        ClientAuditEntry.safeExtend({
          localVersion: z.record(z.string(), z.unknown()).nullable().optional(),
        }),
      )
      .min(1)
      .max(200),
  })
  .strict();
export type AuditRecordBody = z.infer<typeof AuditRecordBody>;
