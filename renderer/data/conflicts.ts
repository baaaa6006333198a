import type { RxConflictHandler, WithDeleted } from 'rxdb';
import { describeConflict, mergeFloorDoc } from '../../shared/domain/merge.js';

type Doc = Record<string, unknown>;

/** Fields the server owns or that only exist locally: never part of a field-by-field merge. */
const NOT_MERGED = new Set(['seq', 'updatedAt', 'pendingAudit', '_deleted', '_meta', '_rev', '_attachments']);

/** What the sync layer tells the conflict handler about one partition. */
export class ConflictContext {
  /** `collection|id` of changes the server rejected: the handler keeps the server state. */
  readonly rejected = new Set<string>();
  /** Called for a local version that cannot be merged with the server's (I6: never dropped silently). */
  onUnmergeable: (collection: string, local: Doc, server: Doc, fields: string[]) => void = () => undefined;
}

const contexts = new Map<string, ConflictContext>();

/** The conflict context of a partition (by database name). */
export function conflictContext(dbName: string): ConflictContext {
  let c = contexts.get(dbName);
  if (!c) contexts.set(dbName, (c = new ConflictContext()));
  return c;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Fields that differ between two versions of a document (merge-relevant fields only). */
export function changedFields(from: Doc, to: Doc): string[] {
  const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
  return [...keys].filter((k) => !NOT_MERGED.has(k) && !same(from[k], to[k])).sort();
}

/**
 * Merge a local edit onto a newer server version, field by field. Null when both changed a
 * common field (or either side deleted the document): then the server state wins and the local
 * version goes to Needs attention.
 */
export function mergeFields(
  assumed: Doc,
  local: Doc,
  server: Doc,
): { merged: Doc; overlap: string[] } | { merged: null; overlap: string[] } {
  const mine = changedFields(assumed, local);
  const theirs = changedFields(assumed, server);
  const overlap = mine.filter((f) => theirs.includes(f) && !same(local[f], server[f]));
  if (overlap.length > 0 || local['_deleted'] === true || server['_deleted'] === true)
    return { merged: null, overlap };
  const merged: Doc = { ...server };
  for (const f of mine) merged[f] = local[f];
  if (local['pendingAudit'] !== undefined) merged['pendingAudit'] = local['pendingAudit'];
  return { merged, overlap };
}

/**
 * An order or inbound notice the server answered with a conflict: merge field by field and line by
 * line (the same function the server uses on push). Where both sides changed one field, or one
 * line, the server's value stays and the loss goes to Needs attention with both values; the rest
 * of the local edit is kept and pushed again with its audit entry. An edit of a document shipped,
 * cancelled or deleted meanwhile is not merged at all: the server state stays, the edit is filed.
 */
export function resolveFloor(
  collection: 'orders' | 'receipts',
  assumed: Doc | undefined,
  local: Doc,
  server: Doc,
  ctx: ConflictContext,
): WithDeleted<Doc> {
  const keep = server as WithDeleted<Doc>;
  // The same content as the server's (a retried create whose answer was lost): nothing to file.
  if (
    changedFields(local, server).length === 0 &&
    (local['_deleted'] === true) === (server['_deleted'] === true)
  )
    return keep;
  if (!assumed) {
    ctx.onUnmergeable(collection, local, server, []);
    return keep;
  }
  const r = mergeFloorDoc(collection, assumed, local, server);
  if (!r.ok) {
    ctx.onUnmergeable(collection, local, server, [r.reason]);
    return keep;
  }
  if (r.conflicts.length > 0) ctx.onUnmergeable(collection, local, server, r.conflicts.map(describeConflict));
  if (changedFields(r.merged, server).length === 0 && r.merged['_deleted'] === server['_deleted'])
    return keep;
  const merged: Doc = { ...r.merged };
  // The local audit entry travels with the merged edit: the server binds it to before/after. Its
  // reason says which of the server's values were kept (within the entry's 500 characters).
  const pending: unknown = local['pendingAudit'];
  if (Array.isArray(pending) && pending.length > 0 && r.conflicts.length > 0) {
    const entries = pending as unknown[];
    const paths = r.conflicts.map((c) => c.path);
    const note = `[merged; the server's ${paths.slice(0, 4).join(', ')}${paths.length > 4 ? ', …' : ''} kept]`;
    const last = entries[entries.length - 1] as Doc;
    const reason = typeof last['reason'] === 'string' ? last['reason'] : '';
    const text = reason ? `${reason.slice(0, 499 - note.length)} ${note}` : note;
    merged['pendingAudit'] = [...entries.slice(0, -1), { ...last, reason: text.slice(0, 500) }];
  } else if (pending !== undefined) merged['pendingAudit'] = pending;
  return merged as WithDeleted<Doc>;
}

/**
 * The version a local edit was made on. A copy takes a sequence only from the server, and a local
 * edit keeps it: a copy that carries the server's current sequence was exactly that version before
 * the edit, whatever RxDB's record says — so the server's version is the base. Otherwise RxDB's
 * record of the master (none: no base, the edit is filed).
 * RxDB writes a pulled version into the copy and its record of that version in a second write
 * (replication-protocol/downstream.js); an edit between the two goes out with the record of the
 * version before, or with none on a first download:
 * - soak seed 961038502: mgr renamed an item its first download of globex had just written; the
 *   push went without a record and the rename was filed as a conflict with nothing to conflict with;
 * - CI flake at fee2cfa: mgr packed an order its copy showed picked at the server's sequence; the
 *   push carried the record of the open order, and the server saw a concurrent status change.
 */
export function editBase(assumed: Doc | undefined, local: Doc, server: Doc): Doc | undefined {
  const seq = local['seq'];
  const onServerVersion =
    typeof seq === 'number' && seq > 0 && server['seq'] === seq && server['_deleted'] !== true;
  return onServerVersion ? server : assumed;
}

/**
 * Conflict handler of a collection. Rejected changes and immutable documents return to the
 * server state; mutable documents merge field by field where the edits touch different fields
 * (orders and inbound notices line by line too).
 */
export function conflictHandler(collection: string, ctx: ConflictContext): RxConflictHandler<Doc> {
  return {
    isEqual: (a, b) => same(a, b),
    resolve: (i) => {
      const server = i.realMasterState;
      const local = i.newDocumentState;
      const key = `${collection}|${String(local['id'])}`;
      if (ctx.rejected.delete(key)) return Promise.resolve(server);
      // A movement the server holds exactly as sent (it only added its sequence): adopt it.
      if (
        collection === 'movements' &&
        server['_deleted'] !== true &&
        changedFields(local, server).length === 0
      )
        return Promise.resolve(server);
      // The server already holds exactly this content (an earlier push whose answer was lost, or
      // edits undone before the push): adopt its version; nothing is pending any more.
      if (
        collection === 'items' &&
        changedFields(local, server).length === 0 &&
        (local['_deleted'] === true) === (server['_deleted'] === true)
      )
        return Promise.resolve(server);
      const base = editBase(i.assumedMasterState, local, server);
      if (collection === 'orders' || collection === 'receipts')
        return Promise.resolve(resolveFloor(collection, base, local, server, ctx));
      if (collection !== 'items' || !base) {
        ctx.onUnmergeable(collection, local, server, []);
        return Promise.resolve(server);
      }
      const r = mergeFields(base, local, server);
      if (r.merged === null) {
        ctx.onUnmergeable(collection, local, server, r.overlap);
        return Promise.resolve(server);
      }
      return Promise.resolve(r.merged as WithDeleted<Doc>);
    },
  };
}
