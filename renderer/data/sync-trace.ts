/**
 * Diagnostics for issue #7 (a change the server accepted that stays pending on the PC): when
 * `globalThis.__bulkheadSyncTrace` is an array as replication starts, every step RxDB takes with an
 * order, inbound notice or movement is appended to it — local writes with their context, pushes and their
 * answers, pulls, resolved conflicts — each version summed up in one line. Off unless a test
 * harness turns it on; the app never does.
 */
type Doc = Record<string, unknown>;

/** The collections whose replication is traced: the documents a change can stay pending in. */
export const TRACED = ['orders', 'receipts', 'movements'] as const;
export type TracedCollection = (typeof TRACED)[number];

/** Whether replication of `collection` is traced. */
export const isTraced = (collection: string): collection is TracedCollection =>
  (TRACED as readonly string[]).includes(collection);

export type TraceEntry = { at: number; collection: string; step: string; ids: string[]; text: string };

export function syncTrace(): TraceEntry[] | null {
  const t = (globalThis as { __bulkheadSyncTrace?: unknown }).__bulkheadSyncTrace;
  return Array.isArray(t) ? (t as TraceEntry[]) : null;
}

/** One version in a line: id, seq, status, pending entry ids, RxDB revision and replication meta. */
export function versionLine(d: Doc | null | undefined): string {
  if (!d) return '∅';
  const pending = Array.isArray(d['pendingAudit'])
    ? (d['pendingAudit'] as Doc[]).map((e) => String(e['id']).slice(0, 8)).join('+')
    : '';
  const rev = typeof d['_rev'] === 'string' ? d['_rev'].split('-')[0] : '';
  const meta = d['_meta'] && typeof d['_meta'] === 'object' ? (d['_meta'] as Doc) : null;
  const marks = meta
    ? Object.entries(meta)
        .filter(([k]) => k !== 'lwt')
        .map(([k, v]) => `${k.length > 6 ? k.slice(-6) : k}=${JSON.stringify(v)}`)
        .join(',')
    : '';
  return (
    `${String(d['id']).slice(0, 8)}@${String(d['seq'])}:${typeof d['status'] === 'string' ? d['status'] : ''}` +
    `${d['_deleted'] === true ? ':deleted' : ''}${pending ? ` p[${pending}]` : ''}` +
    `${rev ? ` r${rev}` : ''}${marks ? ` {${marks}}` : ''}`
  );
}

export function traceStep(
  collection: string,
  step: string,
  docs: readonly (Doc | null | undefined)[],
  extra = '',
): void {
  const t = syncTrace();
  if (!t) return;
  if (t.length >= 100_000) t.splice(0, 20_000);
  t.push({
    at: Math.round(performance.now()),
    collection,
    step,
    ids: docs.filter((d): d is Doc => !!d).map((d) => String(d['id'])),
    text: `${docs.map(versionLine).join(' | ')}${extra ? ` ${extra}` : ''}`,
  });
}
