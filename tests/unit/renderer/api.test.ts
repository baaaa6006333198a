import { describe, expect, it } from 'vitest';
import { parseSseFrame } from '../../../renderer/data/api.js';
import { partitionName } from '../../../renderer/data/database.js';

describe('SSE frames', () => {
  it('parses typed events', () => {
    expect(parseSseFrame('event: change\ndata: {"tenantId":"acme","seq":4,"collections":["items"]}')).toEqual(
      {
        type: 'change',
        tenantId: 'acme',
        seq: 4,
        collections: ['items'],
      },
    );
  });
  it('ignores comments and garbage', () => {
    expect(parseSseFrame(': heartbeat')).toBeNull();
    expect(parseSseFrame('event: change\ndata: {not json')).toBeNull();
  });
});

describe('partition names', () => {
  it('differ per user and per tenant and are valid RxDB names', () => {
    const a = partitionName('user-1', 'acme');
    expect(a).not.toBe(partitionName('user-2', 'acme'));
    expect(a).not.toBe(partitionName('user-1', 'globex'));
    expect(partitionName('U.ser@x', 'acme')).toMatch(/^[a-z][_$a-z0-9-]*$/);
    // Escaping is injective: two different ids never collide.
    expect(partitionName('a.b', 't')).not.toBe(partitionName('a_b', 't'));
  });
});

describe('partition schemas per role', () => {
  it('operators and managers get no purchasePrice property at all; finance does', async () => {
    const { itemSchema, schemaForRole } = await import('../../../renderer/data/schemas.js');
    expect(Object.keys(schemaForRole(itemSchema, 'items', 'operator').properties)).not.toContain(
      'purchasePrice',
    );
    expect(Object.keys(schemaForRole(itemSchema, 'items', 'manager').properties)).not.toContain(
      'purchasePrice',
    );
    expect(Object.keys(schemaForRole(itemSchema, 'items', 'finance').properties)).toContain('purchasePrice');
    expect(schemaForRole(itemSchema, 'items', 'operator').required).toEqual(itemSchema.required);
  });
});
