import { describe, expect, it } from 'vitest';
import { conflictHandler, ConflictContext } from '../../../renderer/data/conflicts.js';

const base = {
  id: 'i1',
  sku: 'S-1',
  name: 'Old',
  seq: 3,
  updatedAt: '2026-11-26T10:00:00.000Z',
  _deleted: false,
};
const entry = { id: 'e1', action: 'update' };

describe('item conflict handler', () => {
  it('adopts the server version when it already holds the local content (no longer pending)', async () => {
    const ctx = new ConflictContext();
    const filed: unknown[] = [];
    ctx.onUnmergeable = (...a) => filed.push(a);
    const server = { ...base, name: 'New', seq: 4, updatedAt: '2026-11-26T10:05:00.000Z' };
    const resolved = await conflictHandler('items', ctx).resolve(
      {
        assumedMasterState: base,
        realMasterState: server,
        newDocumentState: { ...base, name: 'New', pendingAudit: [entry] },
      },
      'test',
    );
    expect(resolved).toEqual(server);
    expect(filed).toEqual([]);
  });

  it('still merges a different local edit and keeps its audit entry pending', async () => {
    const ctx = new ConflictContext();
    const server = { ...base, sku: 'S-9', seq: 4 };
    const resolved = await conflictHandler('items', ctx).resolve(
      {
        assumedMasterState: base,
        realMasterState: server,
        newDocumentState: { ...base, name: 'New', pendingAudit: [entry] },
      },
      'test',
    );
    expect(resolved).toMatchObject({ sku: 'S-9', name: 'New', seq: 4, pendingAudit: [entry] });
  });
});
