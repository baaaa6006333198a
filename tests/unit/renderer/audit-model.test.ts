import { describe, expect, it } from 'vitest';
import { MASKED } from '../../../shared/access/policy.js';
import type { AuditEntry } from '../../../shared/api/audit.js';
import { chainHash, GENESIS_HASH, type ChainEntry } from '../../../shared/audit/chain.js';
import { ApiError, NetworkError } from '../../../renderer/data/api.js';
import {
  appendPage,
  auditPath,
  auditQueryString,
  checkLoaded,
  diffFields,
  EMPTY_FILTER,
  filterErrors,
  formatRelative,
  formatValue,
  isRollbackable,
  labelKey,
  loadError,
  localInputEndIso,
  localInputToIso,
  offlineRecordedAt,
  rollbackSetFor,
  shortHash,
  verdictText,
  visibleDiff,
} from '../../../renderer/features/audit/model.js';
import { resources } from '../../../renderer/i18n/index.js';

const t = (key: string, o?: Record<string, unknown>) => `${key}${o ? JSON.stringify(o) : ''}`;

function entry(seq: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: `e${seq}`,
    seq,
    tenantId: 'acme',
    at: `2026-11-26T09:${String(seq).padStart(2, '0')}:00.000Z`,
    actorId: 'u-op.acme',
    deviceId: 'dev-1',
    action: 'update',
    entity: 'items',
    entityId: 'item-1',
    before: { sku: 'A', name: 'Old' },
    after: { sku: 'A', name: 'New' },
    reason: null,
    ...over,
  };
}

/** A real chain of `n` entries, as the server would serve them. */
async function chain(n: number, tweak: (e: AuditEntry) => AuditEntry = (e) => e): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = tweak(
      entry(seq, {
        beforeHash: 'b'.repeat(64),
        afterHash: 'a'.repeat(64),
        deviceTime: null,
        confirmation: null,
      }),
    );
    const chained: ChainEntry = {
      tenantId: base.tenantId,
      seq: base.seq,
      id: base.id,
      at: base.at,
      actorId: base.actorId,
      deviceId: base.deviceId,
      deviceTime: base.deviceTime ?? null,
      action: base.action,
      entity: base.entity,
      entityId: base.entityId,
      beforeHash: base.beforeHash ?? null,
      afterHash: base.afterHash ?? null,
      reason: base.reason,
      confirmation: base.confirmation ?? null,
      ...(typeof base.compensates === 'string' ? { compensates: base.compensates } : {}),
    };
    const hash = await chainHash(prev, chained);
    out.push({ ...base, prevHash: prev, hash });
    prev = hash;
  }
  return out.reverse(); // newest first, as the list holds them
}

describe('audit filter → query string', () => {
  it('sends only the fields that are set, trimmed, with paging', () => {
    expect(auditQueryString(EMPTY_FILTER, { limit: 50 })).toBe('limit=50');
    const q = new URLSearchParams(
      auditQueryString(
        { ...EMPTY_FILTER, actor: '  u-op.acme ', entity: 'items', action: 'delete' },
        { limit: 50, before: 120 },
      ),
    );
    expect(Object.fromEntries(q)).toEqual({
      limit: '50',
      before: '120',
      actor: 'u-op.acme',
      entity: 'items',
      action: 'delete',
    });
    expect(auditQueryString(EMPTY_FILTER, { limit: 10, before: null })).toBe('limit=10');
  });
  it('sends times as ISO with the PC offset, the same instant as typed locally', () => {
    const q = new URLSearchParams(
      auditQueryString({ ...EMPTY_FILTER, from: '2026-11-26T09:30', to: '2026-11-26T17:00' }, { limit: 5 }),
    );
    const from = q.get('from') ?? '';
    expect(from).toMatch(/^2026-11-26T09:30:00[+-]\d{2}:\d{2}$/);
    expect(Date.parse(from)).toBe(new Date(2026, 10, 26, 9, 30).getTime());
    // "To 17:00" means through 17:00:59.999 (the server compares at <= to).
    expect(q.get('to')).toMatch(/^2026-11-26T17:00:59\.999[+-]\d{2}:\d{2}$/);
    expect(Date.parse(q.get('to') ?? '')).toBe(new Date(2026, 10, 26, 17, 0, 59, 999).getTime());
    expect(localInputEndIso('2026-11-26T17:00:30')).toMatch(/^2026-11-26T17:00:30\.999[+-]/);
    expect(localInputEndIso('2026-11-31T17:00')).toBe('');
  });
  it('leaves out invalid times and encodes the tenant and values in the path', () => {
    expect(auditQueryString({ ...EMPTY_FILTER, from: '2026-02-31T10:00' }, { limit: 5 })).toBe('limit=5');
    expect(auditPath('acme', { ...EMPTY_FILTER, actor: 'a&b=c' }, { limit: 5 })).toBe(
      '/api/t/acme/audit?limit=5&actor=a%26b%3Dc',
    );
  });
  it('validates the filter form', () => {
    expect(filterErrors(EMPTY_FILTER)).toEqual({});
    expect(filterErrors({ ...EMPTY_FILTER, from: '2026-13-01T00:00' })).toEqual({
      from: 'audit.errors.date',
    });
    expect(filterErrors({ ...EMPTY_FILTER, from: '2026-11-26T10:00', to: '2026-11-26T09:00' })).toEqual({
      to: 'audit.errors.order',
    });
    expect(filterErrors({ ...EMPTY_FILTER, actor: 'x'.repeat(65) })).toEqual({ actor: 'audit.errors.actor' });
    expect(localInputToIso('not a date')).toBe('');
  });
  it('label keys never contain a colon (i18next would read it as a namespace)', () => {
    expect(labelKey('audit.actions', 'grant:approve')).toBe('audit.actions.grant-approve');
    const en = resources('en') as { audit: { actions: Record<string, string> } };
    expect(en.audit.actions['grant-approve']).toBe('Grant approved');
  });
});

describe('field diff', () => {
  it('marks added, removed and changed; unchanged only with "show all"', () => {
    const rows = diffFields(
      { sku: 'A', name: 'Old', uom: 'pc', barcode: '1' },
      { sku: 'A', name: 'New', uom: 'pc', note: 'x' },
    );
    expect(rows).toEqual([
      { field: 'sku', kind: 'same', before: 'A', after: 'A' },
      { field: 'name', kind: 'changed', before: 'Old', after: 'New' },
      { field: 'uom', kind: 'same', before: 'pc', after: 'pc' },
      { field: 'note', kind: 'added', after: 'x' },
      { field: 'barcode', kind: 'removed', before: '1' },
    ]);
    expect(visibleDiff(rows, false).map((r) => r.field)).toEqual(['name', 'note', 'barcode']);
    expect(visibleDiff(rows, true)).toHaveLength(5);
  });
  it('a created or deleted document shows every field as added or removed', () => {
    expect(diffFields(null, { a: 1 })).toEqual([{ field: 'a', kind: 'added', after: 1 }]);
    expect(diffFields({ a: 1 }, null)).toEqual([{ field: 'a', kind: 'removed', before: 1 }]);
    expect(diffFields(null, null)).toEqual([]);
  });
  it('a field the reader may not see is absent from both sides and leaves no row at all', () => {
    // Server projected purchasePrice away for this reader: it is not in either snapshot.
    const rows = diffFields({ sku: 'A' }, { sku: 'B' });
    expect(rows.map((r) => r.field)).toEqual(['sku']);
    expect(JSON.stringify(visibleDiff(rows, true))).not.toContain('purchasePrice');
  });
  it('masks from the server stay masks; both masked is "masked", never "same" or "changed"', () => {
    const rows = diffFields(
      { customerPhone: MASKED, status: 'open' },
      { customerPhone: MASKED, status: 'shipped' },
    );
    expect(rows[0]).toEqual({ field: 'customerPhone', kind: 'masked', before: MASKED, after: MASKED });
    expect(visibleDiff(rows, false).map((r) => r.field)).toEqual(['status']);
    expect(diffFields(null, { customerPhone: MASKED })).toEqual([
      { field: 'customerPhone', kind: 'added', after: MASKED },
    ]);
  });
  it('compares nested values by content, ignores key order and local bookkeeping', () => {
    const rows = diffFields(
      { lines: [{ a: 1, b: 2 }], _rev: '1-x', _meta: { lwt: 1 }, pendingAudit: [] },
      { lines: [{ b: 2, a: 1 }], _rev: '2-y', _meta: { lwt: 2 } },
    );
    expect(rows).toEqual([
      { field: 'lines', kind: 'same', before: [{ a: 1, b: 2 }], after: [{ b: 2, a: 1 }] },
    ]);
    expect(diffFields({ a: [1, 2] }, { a: [2, 1] })[0]?.kind).toBe('changed');
  });
  it('null is a value, undefined is "no field"', () => {
    expect(diffFields({ barcode: null }, { barcode: '123' })[0]).toMatchObject({
      kind: 'changed',
      before: null,
    });
    expect(diffFields({ barcode: undefined }, { barcode: '1' })[0]).toMatchObject({ kind: 'added' });
  });
  it('formats values for display', () => {
    expect(formatValue(null)).toBeNull();
    expect(formatValue('')).toBe('""');
    expect(formatValue(12.5)).toBe('12.5');
    expect(formatValue(false)).toBe('false');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });
});

describe('times', () => {
  it('shows device time only when it differs from server time by more than a minute', () => {
    const at = '2026-11-26T10:00:00.000Z';
    expect(offlineRecordedAt({ at, deviceTime: null })).toBeNull();
    expect(offlineRecordedAt({ at })).toBeNull();
    expect(offlineRecordedAt({ at, deviceTime: '2026-11-26T09:59:30.000Z' })).toBeNull();
    expect(offlineRecordedAt({ at, deviceTime: '2026-11-26T09:58:59.000Z' })).toBe(
      '2026-11-26T09:58:59.000Z',
    );
    expect(offlineRecordedAt({ at, deviceTime: '2026-11-26T10:05:00.000Z' })).toBe(
      '2026-11-26T10:05:00.000Z',
    );
    expect(offlineRecordedAt({ at, deviceTime: 'garbage' })).toBeNull();
  });
  it('relative time in words, both directions', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    expect(formatRelative('2026-11-26T09:55:00Z', now, 'en')).toBe('5 minutes ago');
    expect(formatRelative('2026-11-26T09:59:50Z', now, 'en')).toBe('now');
    expect(formatRelative('2026-11-25T10:00:00Z', now, 'en')).toBe('yesterday');
    expect(formatRelative('2026-11-26T13:00:00Z', now, 'en')).toBe('in 3 hours');
    expect(formatRelative('nope', now, 'en')).toBe('');
    expect(formatRelative('2026-11-26T09:55:00Z', now, 'zh-CN')).toContain('5');
  });
});

describe('chain verification', () => {
  it('words the server verdict', () => {
    const head = 'abcdef0123456789'.repeat(4);
    expect(verdictText({ ok: true, length: 12, head }, t)).toBe(
      'audit.verify.intact{"count":12,"head":"abcdef012345…"}',
    );
    expect(
      verdictText(
        { ok: false, length: 12, head, brokenAt: 7, reason: 'entry content does not match its hash' },
        t,
      ),
    ).toBe('audit.verify.broken{"seq":7,"reason":"entry content does not match its hash"}');
    expect(shortHash('abc')).toBe('abc');
  });
  it('re-checks a contiguous run from the start of the chain', async () => {
    expect(await checkLoaded(await chain(4))).toEqual({ kind: 'ok', count: 4, first: 1, last: 4 });
  });
  it('re-checks a later run (no genesis on screen) and entries with a rollback link', async () => {
    const all = await chain(5, (e) => (e.seq === 4 ? { ...e, action: 'rollback', compensates: 'e2' } : e));
    const run = all.slice(0, 3); // seqs 5, 4, 3
    expect(await checkLoaded(run)).toEqual({ kind: 'ok', count: 3, first: 3, last: 5 });
  });
  it('finds an edited entry and a broken link', async () => {
    const all = await chain(4);
    const edited = all.map((e) => (e.seq === 3 ? { ...e, reason: 'rewritten' } : e));
    expect(await checkLoaded(edited)).toMatchObject({ kind: 'broken', seq: 3 });
    const relinked = all.map((e) => (e.seq === 4 ? { ...e, prevHash: 'f'.repeat(64) } : e));
    expect(await checkLoaded(relinked)).toMatchObject({
      kind: 'broken',
      seq: 4,
      reason: 'does not link to the previous entry',
    });
  });
  it('does not judge what it cannot: gaps (filtered views), missing chain fields, a single entry', async () => {
    const all = await chain(4);
    expect(await checkLoaded(all.filter((e) => e.seq !== 2))).toEqual({ kind: 'unavailable' });
    expect(await checkLoaded([entry(2), entry(1)])).toEqual({ kind: 'unavailable' });
    expect(await checkLoaded(all.slice(0, 1))).toEqual({ kind: 'unavailable' });
  });
});

describe('paging and rollback', () => {
  it('appends older pages without duplicates', () => {
    const shown = [entry(5), entry(4)];
    expect(appendPage(shown, [entry(4), entry(3)]).map((e) => e.seq)).toEqual([5, 4, 3]);
  });
  it('offers rollback only where a compensation exists', () => {
    expect(isRollbackable(entry(1))).toBe(true);
    expect(isRollbackable(entry(1, { action: 'delete' }))).toBe(true);
    expect(isRollbackable(entry(1, { action: 'create', before: null }))).toBe(false);
    expect(isRollbackable(entry(1, { entity: 'movements', action: 'create', before: null }))).toBe(true);
    expect(isRollbackable(entry(1, { entity: 'grant', action: 'grant:approve' }))).toBe(false);
    expect(isRollbackable(entry(1, { entity: 'report', action: 'export' }))).toBe(false);
  });
  it('"all by this user" takes that user\'s rollbackable entries, newest first', () => {
    const shown = [
      entry(3, { actorId: 'u-mgr' }),
      entry(2),
      entry(4),
      entry(1, { entity: 'policy', action: 'policy:edit' }),
    ];
    expect(rollbackSetFor(shown, ' u-op.acme ').map((e) => e.seq)).toEqual([4, 2]);
    expect(rollbackSetFor(shown, '')).toEqual([]);
  });
});

describe('load errors', () => {
  it('network failure and an offline session without a token are "needs a connection"', () => {
    expect(loadError(new NetworkError('down'), false)).toEqual({ kind: 'offline' });
    expect(loadError(new ApiError(401, 'unauthorized', 'no token'), true)).toEqual({ kind: 'offline' });
    expect(loadError(new ApiError(401, 'unauthorized', 'no token'), false)).toEqual({
      kind: 'server',
      status: 401,
      message: 'no token',
    });
    expect(loadError(new ApiError(403, 'forbidden', 'nope'), false)).toMatchObject({ status: 403 });
  });
});
