import { isFinalStatus, type MergeEntity } from '../../shared/domain/merge.js';
import { STALE_MAX } from '../../shared/sync/protocol.js';

/*
 * Reconcile on reconnect (issue #7): a safety net for a local copy that went stale while RxDB's
 * pull checkpoint moved past the newer server version without applying it (soak seed 980000157:
 * mgr held an acme order "open"@157, the server "cancelled"@165; mgr never edited it). Whatever
 * the cause, at every (re)connect the PC sends the versions of its open documents to
 * `POST …/stale`; the server answers those it holds newer, and the next pull hands them to RxDB
 * (as PushWatch does). RxDB takes a version only when the PC's copy equals its master, i.e. holds
 * nothing unpushed; a copy with a change not pushed yet keeps it (RxDB pushes it first, and a
 * conflict is merged as always). Each repair is reported, so the cause can still be found.
 *
 * Copies with local audit entries are checked too: a copy whose change the server accepted but
 * whose accepted version the pull passed keeps its entries pending with nothing left to push
 * (built by hand in tests/integration/client/reconcile.test.ts); RxDB takes the version there.
 * Fault seed 92040059 looked alike but was RxDB's record of the accepted push lost to a pull's
 * (RxDB then holds the copy as unpushed and ignores any version handed over); master-record.ts
 * restores that record after each push. Soak seeds 259441814 and 600445783 were copies RxDB had
 * no right record of (a page closed during the first download; RxDB 17.6 also drops the mark
 * that should cover that): the pull handler sets the record to such a copy when it holds no local
 * entries (master-record.ts realignRecords), here and for any pull.
 */

type Doc = Record<string, unknown>;

/** The collections checked: mutable documents that stay open for a while. */
export const RECONCILED: readonly MergeEntity[] = ['orders', 'receipts'];

/**
 * A local copy handed the server's version. `pending`: it carried audit entries — RxDB takes the
 * version if they were pushed already and ignores it if not.
 */
export type Repair = {
  id: string;
  localSeq: number;
  serverSeq: number;
  pending: boolean;
  /** Not a stale copy: RxDB's record of this PC's accepted push, restored (master-record.ts). */
  record?: true;
  /**
   * RxDB held no record of the copy (no local entries), or one of another version, so it would
   * have ignored the version pulled: the record was set to the copy first (master-record.ts).
   */
  realigned?: true;
  /**
   * An accepted movement whose copy RxDB left at seq 0 after the push's answer: the server's
   * version was written to the copy and RxDB's record (master-record.ts settleAccepted).
   */
  settled?: true;
};

const seqOf = (d: Doc): number => (typeof d['seq'] === 'number' ? d['seq'] : 0);

/**
 * The `[id, seq]` pairs worth asking the server about: documents the server has (seq above 0),
 * not final (a shipped or cancelled order, a cancelled notice takes no further change; a closed
 * notice can still be reopened) and not deleted — with local audit entries or without (see above).
 */
export function staleCandidates(entity: MergeEntity, docs: readonly Doc[]): [string, number][] {
  const out: [string, number][] = [];
  for (const d of docs) {
    if (d['_deleted'] === true || isFinalStatus(entity, d['status'])) continue;
    const seq = seqOf(d);
    if (seq > 0 && typeof d['id'] === 'string') out.push([d['id'], seq]);
  }
  return out;
}

/** `xs` in pieces of at most `size` (a stale request carries at most STALE_MAX pairs). */
export function chunked<T>(xs: readonly T[], size = STALE_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** What the PC holds of a document when a pull is about to hand a repaired version over. */
export type LocalNow = { seq: number; pending: boolean } | null;

/**
 * The server's newer versions of stale documents, waiting for the next pull of their collection.
 *
 * `offer` the documents the stale check answered; the next pull's handler calls `take` with its
 * documents, the checkpoint it pulled from and what the PC holds now. A version is handed to RxDB
 * (in the pull's documents, once) and reported as a repair only when the pull checkpoint is
 * already at or past it — else the pull itself brings it (this page or a later one), which is the
 * normal case of a change made while the check ran — and while the PC's copy is still older (a
 * pull that applied it meanwhile makes it moot). A copy with local entries gets it too: RxDB
 * decides (it ignores a version while the copy holds a change it has not pushed).
 */
export class StaleHandover {
  private readonly ready = new Map<string, Doc>();

  /** The server's answer: its versions of documents this PC holds older. */
  offer(docs: readonly Doc[]): void {
    for (const d of docs) {
      const id = String(d['id']);
      const seen = this.ready.get(id);
      if (!seen || seqOf(d) > seqOf(seen)) this.ready.set(id, d);
    }
  }

  /** Ids waiting for the next pull (the handler reads what the PC holds of them). */
  ids(): string[] {
    return [...this.ready.keys()];
  }

  /**
   * One pull's documents, before RxDB sees them: returns them with the repaired versions (no id
   * twice) and the repairs. Everything offered is settled by this call, handed over or dropped.
   */
  take(
    pulled: readonly Doc[],
    checkpointSeq: number | undefined,
    local: (id: string) => LocalNow,
  ): { documents: Doc[]; repaired: Repair[] } {
    if (this.ready.size === 0) return { documents: [...pulled], repaired: [] };
    const documents = [...pulled];
    const at = new Map(documents.map((d, i) => [String(d['id']), i]));
    const front: Doc[] = [];
    const repaired: Repair[] = [];
    for (const [id, d] of this.ready) {
      const serverSeq = seqOf(d);
      const i = at.get(id);
      const inPull = i === undefined ? undefined : documents[i];
      if (inPull && seqOf(inPull) >= serverSeq) continue; // the pull brings it (or newer)
      if (checkpointSeq === undefined || serverSeq > checkpointSeq) continue; // a pull brings it
      const now = local(id);
      if (!now || now.seq >= serverSeq) continue;
      repaired.push({ id, localSeq: now.seq, serverSeq, pending: now.pending });
      if (i !== undefined) documents[i] = d;
      else front.push(d);
    }
    this.ready.clear();
    return { documents: [...front, ...documents], repaired };
  }
}
