/*
 * Three-way merge of orders and inbound notices (issue #5). Two offline PCs edit one document
 * from the same base; the server holds one edit ("theirs") when the other arrives ("mine").
 * Edits of different fields, and of different lines, both survive; where both changed the same
 * field (or the same line field) to different values the server's value wins and the loss is
 * reported, so the caller can file it in Needs attention (I6). An order that was shipped or
 * cancelled, or a notice that was cancelled, takes no further edit: a merge never undoes it.
 *
 * Pure and isomorphic: the server merges on push, the renderer's conflict handler with the same
 * function when the server answers with a conflict.
 */

type Doc = Record<string, unknown>;

/** The mutable floor documents that merge field by field and line by line. */
export type MergeEntity = 'orders' | 'receipts';

/** Fields the server owns or that only exist locally: never merged, always the server's. */
const NOT_MERGED = new Set([
  'id',
  'tenantId',
  'seq',
  'updatedAt',
  'pendingAudit',
  '_deleted',
  '_meta',
  '_rev',
  '_attachments',
]);

/** Statuses after which a document takes no further edit (a merge never undoes them). */
const FINAL: Record<MergeEntity, readonly string[]> = {
  orders: ['shipped', 'cancelled'],
  receipts: ['cancelled'],
};

/** Is `status` final for `entity` (shipped or cancelled order, cancelled inbound notice)? */
export function isFinalStatus(entity: MergeEntity, status: unknown): boolean {
  return typeof status === 'string' && FINAL[entity].includes(status);
}

/** One place where both sides changed the same thing differently; the server's value was kept. */
export type MergeConflict = {
  /** `shipTo`, `status`, `lines[2]` (a line added, removed or replaced), `lines[2].qty`. */
  path: string;
  /** The value this PC wrote (undefined: it removed the line). */
  mine: unknown;
  /** The value the server holds and keeps (undefined: it removed the line). */
  theirs: unknown;
};

/** Result of a merge: the merged document and what was lost, or a refusal of the whole edit. */
export type MergeResult =
  | {
      ok: true;
      /** The server's document with this PC's non-conflicting changes applied. */
      merged: Doc;
      /** Paths both sides changed differently (the server's value is in `merged`). */
      conflicts: MergeConflict[];
      /** Paths this PC changed (applied or lost), for the audit reason. */
      mine: string[];
      /** Paths the server changed meanwhile, for the audit reason. */
      theirs: string[];
    }
  | { ok: false; reason: string };

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const ao = a as Doc;
  const bo = b as Doc;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!same(ao[k], bo[k])) return false;
  return true;
}

type Line = Doc & { lineId: string };

function linesOf(d: Doc): Line[] | undefined {
  const l = d['lines'];
  if (!Array.isArray(l)) return undefined;
  return l.filter(
    (x): x is Line => typeof x === 'object' && x !== null && typeof (x as Doc)['lineId'] === 'string',
  );
}

const byId = (lines: readonly Line[]) => new Map(lines.map((l) => [l.lineId, l]));

/** Field-by-field merge of one line present in base, mine and theirs. */
function mergeLine(
  base: Line,
  mine: Line,
  theirs: Line,
  conflicts: MergeConflict[],
  mineChanged: string[],
  theirsChanged: string[],
): Line {
  const out: Line = { ...theirs };
  const keys = new Set([...Object.keys(base), ...Object.keys(mine), ...Object.keys(theirs)]);
  for (const k of keys) {
    if (k === 'lineId') continue;
    const path = `lines[${base.lineId}].${k}`;
    const m = !same(base[k], mine[k]);
    const t = !same(base[k], theirs[k]);
    if (m) mineChanged.push(path);
    if (t) theirsChanged.push(path);
    if (m && t && !same(mine[k], theirs[k])) conflicts.push({ path, mine: mine[k], theirs: theirs[k] });
    else if (m) out[k] = mine[k];
  }
  return out;
}

/** Line-by-line merge keyed by `lineId`: theirs' order, then the lines this PC added. */
function mergeLines(
  base: readonly Line[],
  mine: readonly Line[],
  theirs: readonly Line[],
  conflicts: MergeConflict[],
  mineChanged: string[],
  theirsChanged: string[],
): Line[] {
  const b = byId(base);
  const m = byId(mine);
  const t = byId(theirs);
  const out: Line[] = [];
  for (const tl of theirs) {
    const id = tl.lineId;
    const bl = b.get(id);
    const ml = m.get(id);
    const path = `lines[${id}]`;
    if (!bl) {
      // Added on the server; this PC added one with the same id too (numbered lines can collide).
      theirsChanged.push(path);
      if (ml) {
        mineChanged.push(path);
        if (!same(ml, tl)) conflicts.push({ path, mine: ml, theirs: tl });
      }
      out.push(tl);
      continue;
    }
    if (!ml) {
      // Removed here: gone unless the server changed the line meanwhile (then it stays).
      mineChanged.push(path);
      if (same(bl, tl)) continue;
      theirsChanged.push(path);
      conflicts.push({ path, mine: undefined, theirs: tl });
      out.push(tl);
      continue;
    }
    out.push(mergeLine(bl, ml, tl, conflicts, mineChanged, theirsChanged));
  }
  for (const bl of base) {
    if (t.has(bl.lineId)) continue;
    // Removed on the server: stays removed; an edit of it here is lost.
    const path = `lines[${bl.lineId}]`;
    theirsChanged.push(path);
    const ml = m.get(bl.lineId);
    if (ml && !same(ml, bl)) {
      mineChanged.push(path);
      conflicts.push({ path, mine: ml, theirs: undefined });
    }
  }
  for (const ml of mine) {
    if (b.has(ml.lineId) || t.has(ml.lineId)) continue;
    mineChanged.push(`lines[${ml.lineId}]`);
    out.push(ml);
  }
  return out;
}

/**
 * Merge this PC's edit (`mine`, made on `base`) onto the server's current document (`theirs`).
 * A field absent from `mine` counts as unchanged (hidden from the writer, or masked). Refused as a
 * whole when the server's document is shipped/cancelled or deleted and this PC changed anything.
 */
export function mergeFloorDoc(entity: MergeEntity, base: Doc, mine: Doc, theirs: Doc): MergeResult {
  const noun = entity === 'orders' ? 'order' : 'inbound notice';
  const name = [theirs['number'], theirs['reference'], theirs['id']].find((x) => typeof x === 'string');
  const label = typeof name === 'string' ? name : '';
  const conflicts: MergeConflict[] = [];
  const mineChanged: string[] = [];
  const theirsChanged: string[] = [];
  const merged: Doc = { ...theirs };

  // Fields of the two versions (a key only the base has was removed on both sides: nothing to do).
  const keys = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
  for (const k of [...keys].sort()) {
    if (NOT_MERGED.has(k)) continue;
    const t = !same(base[k], theirs[k]);
    if (k === 'lines') {
      const bl = linesOf(base) ?? [];
      const ml = linesOf(mine);
      const tl = linesOf(theirs) ?? [];
      if (ml === undefined || same(bl, ml)) {
        if (t) theirsChanged.push(k);
        continue;
      }
      merged[k] = mergeLines(bl, ml, tl, conflicts, mineChanged, theirsChanged);
      continue;
    }
    if (t) theirsChanged.push(k);
    // Absent means unchanged: a field the writer cannot see, or a masked one it left alone.
    if (mine[k] === undefined || same(base[k], mine[k])) continue;
    mineChanged.push(k);
    // A shipping address is one value: half of one address merged with half of another is neither.
    if (t && !same(mine[k], theirs[k])) conflicts.push({ path: k, mine: mine[k], theirs: theirs[k] });
    else merged[k] = mine[k];
  }

  const baseDeleted = base['_deleted'] === true;
  const mineDeleted = mine['_deleted'] === true;
  const theirsDeleted = theirs['_deleted'] === true;
  if (mineDeleted !== baseDeleted) mineChanged.push('_deleted');
  if (theirsDeleted !== baseDeleted) theirsChanged.push('_deleted');
  if (mineDeleted && !theirsDeleted) {
    // A deletion here against an edit there: the server's edit wins, the deletion is reported.
    if (theirsChanged.length > 0) conflicts.push({ path: '_deleted', mine: true, theirs: false });
    else merged['_deleted'] = true;
  }
  // Whether this PC's edit would change the server's document at all (the same cancellation on
  // both sides, say, changes nothing and is no loss).
  const contributes = conflicts.length > 0 || !same(merged, theirs);
  if (theirsDeleted && contributes)
    return { ok: false, reason: `the ${noun} ${label} was deleted meanwhile; this change was not applied` };
  if (isFinalStatus(entity, theirs['status']) && contributes)
    return {
      ok: false,
      reason: `the ${noun} ${label} is ${String(theirs['status'])}; this change was not applied`,
    };
  return {
    ok: true,
    merged,
    conflicts,
    mine: [...new Set(mineChanged)],
    theirs: [...new Set(theirsChanged)],
  };
}

function show(v: unknown): string {
  if (v === undefined) return 'removed';
  if (v === null) return 'none';
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Doc;
    if ('lineId' in o) {
      const qty = o['qty'] ?? o['expectedQty'];
      return `${JSON.stringify(qty)} × ${show(o['itemId'])}`;
    }
    return Object.values(o)
      .filter((x) => x !== null && x !== undefined && x !== '')
      .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
      .join(', ');
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One conflict in words, with both values: `shipTo (server: 1 Harbour Rd, …; this PC: …)`. */
export function describeConflict(c: MergeConflict): string {
  return `${c.path} (server: ${show(c.theirs)}; this PC: ${show(c.mine)})`;
}
