import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.js';

/** The hash before the first entry of every tenant's chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** A stored confirmation of a destructive change (I5). */
export const Confirmation = z
  .object({
    /** What the user retyped: the batch number, SKU or order number of the thing destroyed. */
    typed: z.string().min(1).max(200),
    reason: z.string().trim().min(3).max(500),
    /** A second user's co-signature above the tenant threshold. */
    cosign: z
      .object({
        userId: z.string().min(1).max(64),
        at: z.iso.datetime({ offset: true }),
        /** HMAC-SHA256 (hex) with the co-signer's key over `cosignMessage(…)`. */
        signature: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();
export type Confirmation = z.infer<typeof Confirmation>;

/**
 * What the chain commits to for one entry. Snapshots enter as hashes, so a reader whose role
 * hides some fields still verifies the chain; the full snapshots are checked against the hashes
 * by anyone who may read them (the server's verifier, the database-level CLI).
 */
export type ChainEntry = {
  tenantId: string;
  seq: number;
  id: string;
  /** Server time of acceptance (ISO). */
  at: string;
  /** The authenticated actor, never the client's claim. */
  actorId: string;
  deviceId: string | null;
  /** When the change was made on the device (ISO; offline entries are older than `at`). */
  deviceTime: string | null;
  action: string;
  entity: string;
  entityId: string;
  beforeHash: string | null;
  afterHash: string | null;
  reason: string | null;
  confirmation: Confirmation | null;
  /**
   * For a rollback: the audit entry id it compensates. Present only when set, so entries without
   * one hash exactly as if the field did not exist.
   */
  compensates?: string;
};

/** The chained fields of an entry, exactly (extra members of `e`, such as snapshots, are left out). */
export function chainEntryOf(e: ChainEntry): ChainEntry {
  const out: ChainEntry = {
    tenantId: e.tenantId,
    seq: e.seq,
    id: e.id,
    at: e.at,
    actorId: e.actorId,
    deviceId: e.deviceId,
    deviceTime: e.deviceTime,
    action: e.action,
    entity: e.entity,
    entityId: e.entityId,
    beforeHash: e.beforeHash,
    afterHash: e.afterHash,
    reason: e.reason,
    confirmation: e.confirmation,
  };
  if (typeof e.compensates === 'string') out.compensates = e.compensates;
  return out;
}

/** Hash of a snapshot (canonical JSON), or null for none. */
export async function snapshotHash(snapshot: unknown): Promise<string | null> {
  return snapshot === null || snapshot === undefined ? null : sha256Hex(canonicalJson(snapshot));
}

/** `hash = sha256(prevHash ‖ canonicalJson(entry))` (ARCHITECTURE.md I4). */
export async function chainHash(prevHash: string, entry: ChainEntry): Promise<string> {
  return sha256Hex(prevHash + canonicalJson(chainEntryOf(entry)));
}

/** An entry as stored and served for verification: the chained fields plus its hashes. */
export type ChainedEntry = ChainEntry & { prevHash: string; hash: string };

/** Result of verifying a tenant's chain. */
export type ChainVerdict =
  | { ok: true; length: number; head: string }
  | { ok: false; length: number; head: string; brokenAt: number; reason: string };

/**
 * Verify entries of one tenant in sequence order: each links to the previous hash, its hash is
 * recomputed, sequence numbers have no gaps. `snapshots` (optional) also checks full snapshots
 * against their hashes. Detects changed, deleted, inserted and reordered entries.
 */
export async function verifyChain(
  entries: readonly ChainedEntry[],
  snapshots?: (entry: ChainedEntry) => { before: unknown; after: unknown },
  /** Continue after an already verified prefix (paged verification): its head hash and last seq. */
  from?: { prevHash: string; seq: number },
): Promise<ChainVerdict> {
  let prev = from?.prevHash ?? GENESIS_HASH;
  let expectedSeq: number | null = from ? from.seq + 1 : null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as ChainedEntry;
    const fail = (reason: string): ChainVerdict => ({
      ok: false,
      length: entries.length,
      head: prev,
      brokenAt: e.seq,
      reason,
    });
    if (expectedSeq !== null && e.seq !== expectedSeq)
      return fail(`sequence jumps from ${expectedSeq - 1} to ${e.seq}`);
    if (e.prevHash !== prev) return fail('does not link to the previous entry');
    if ((await chainHash(prev, e)) !== e.hash) return fail('entry content does not match its hash');
    if (snapshots) {
      const s = snapshots(e);
      if ((await snapshotHash(s.before)) !== e.beforeHash)
        return fail('before snapshot does not match its hash');
      if ((await snapshotHash(s.after)) !== e.afterHash)
        return fail('after snapshot does not match its hash');
    }
    prev = e.hash;
    expectedSeq = e.seq + 1;
  }
  return { ok: true, length: entries.length, head: prev };
}
