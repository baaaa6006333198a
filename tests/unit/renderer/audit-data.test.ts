import { describe, expect, it } from 'vitest';
import { ClientAuditEntry } from '../../../shared/audit/entry.js';
import { changedFields, mergeFields } from '../../../renderer/data/conflicts.js';
import { compensationFor } from '../../../renderer/data/rollback.js';
import { auditEntry, splitPush } from '../../../renderer/data/writes.js';
import type { AuditEntry } from '../../../shared/api/audit.js';

const actor = { userId: 'u-op', deviceId: 'pc-1' };

describe('local audit entries', () => {
  it('are valid ClientAuditEntry values', () => {
    const e = auditEntry(actor, 'movements', 'm1', 'create', { reason: 'x', confirmation: null });
    expect(ClientAuditEntry.parse(e)).toEqual(e);
    expect(e.actorId).toBe('u-op');
  });
  it('a push strips pendingAudit from documents and sends every entry, oldest first', () => {
    const e1 = { ...auditEntry(actor, 'items', 'i1', 'update', {}), deviceTime: '2026-01-01T00:00:02.000Z' };
    const e2 = { ...auditEntry(actor, 'items', 'i1', 'update', {}), deviceTime: '2026-01-01T00:00:01.000Z' };
    const { changes, audit } = splitPush([
      {
        assumedMasterState: { id: 'i1', name: 'a' },
        newDocumentState: { id: 'i1', name: 'b', pendingAudit: [e1, e2] },
      },
    ]);
    expect(changes).toEqual([
      { assumedMasterState: { id: 'i1', name: 'a' }, newDocumentState: { id: 'i1', name: 'b' } },
    ]);
    expect(audit.map((a) => a.id)).toEqual([e2.id, e1.id]);
  });
});

describe('conflict merge', () => {
  const assumed = { id: 'i', name: 'A', barcode: '1', uom: 'pc', seq: 3, updatedAt: 't1' };
  it('merges edits of different fields, keeping the local audit entries', () => {
    const local = { ...assumed, name: 'B', updatedAt: 't2', pendingAudit: [{ id: 'x' }] };
    const server = { ...assumed, barcode: '2', seq: 5, updatedAt: 't3' };
    const r = mergeFields(assumed, local, server);
    expect(r.merged).toEqual({ ...server, name: 'B', pendingAudit: [{ id: 'x' }] });
  });
  it('refuses to merge edits of the same field', () => {
    const r = mergeFields(assumed, { ...assumed, name: 'B' }, { ...assumed, name: 'C', seq: 4 });
    expect(r.merged).toBeNull();
    expect(r.overlap).toEqual(['name']);
  });
  it('the same value on both sides is no conflict; deletions never merge', () => {
    expect(
      mergeFields(assumed, { ...assumed, name: 'B' }, { ...assumed, name: 'B', seq: 4 }).merged,
    ).not.toBeNull();
    expect(
      mergeFields(assumed, { ...assumed, _deleted: true }, { ...assumed, barcode: '9' }).merged,
    ).toBeNull();
    expect(changedFields(assumed, { ...assumed, seq: 9, updatedAt: 'x' })).toEqual([]);
  });
});

describe('rollback compensation', () => {
  const base: AuditEntry = {
    id: 'a1',
    seq: 7,
    tenantId: 'acme',
    at: '2026-01-01T00:00:00.000Z',
    actorId: 'u-op',
    deviceId: null,
    action: 'create',
    entity: 'movements',
    entityId: 'm1',
    before: null,
    after: {
      id: 'm1',
      tenantId: 'acme',
      itemId: 'it',
      type: 'adjustment',
      quantity: 7,
      fromLocationId: 'A',
      toLocationId: null,
      batch: 'L7',
      seq: 9,
    },
    reason: null,
  };
  it('reverses a movement by swapping source and destination, same quantity and batch', () => {
    const c = compensationFor(base, null, new Date());
    expect(c.kind).toBe('reverse-movement');
    if (c.kind !== 'reverse-movement') return;
    expect(c.movement).toMatchObject({
      fromLocationId: null,
      toLocationId: 'A',
      quantity: 7,
      batch: 'L7',
      reversalOf: 'm1',
    });
  });
  it('restores the fields an item update changed', () => {
    const c = compensationFor(
      {
        ...base,
        entity: 'items',
        entityId: 'it',
        action: 'update',
        before: { id: 'it', name: 'Old' },
        after: { id: 'it', name: 'New' },
      },
      { id: 'it', name: 'New', sku: 'S' },
      new Date(),
    );
    expect(c).toEqual({ kind: 'restore-item', itemId: 'it', fields: { name: 'Old' }, revive: false });
  });
  it('nothing to do for an item already in that state', () => {
    const c = compensationFor(
      { ...base, entity: 'items', entityId: 'it', action: 'update', before: { id: 'it', name: 'Old' } },
      { id: 'it', name: 'Old' },
      new Date(),
    );
    expect(c.kind).toBe('none');
  });
});
