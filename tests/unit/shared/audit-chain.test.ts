import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/audit/canonical.js';
import type { ChainedEntry, ChainEntry } from '../../../shared/audit/chain.js';
import { chainHash, GENESIS_HASH, snapshotHash, verifyChain } from '../../../shared/audit/chain.js';
import { cosignMessage } from '../../../shared/audit/cosign.js';
import { cosignSignature } from '../../../shared/audit/cosign-sign.js';

async function chain(
  n: number,
): Promise<{ entries: ChainedEntry[]; snaps: Map<string, { before: unknown; after: unknown }> }> {
  const entries: ChainedEntry[] = [];
  const snaps = new Map<string, { before: unknown; after: unknown }>();
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const before = i === 1 ? null : { qty: i - 1 };
    const after = { qty: i, name: `n${i}` };
    const e: ChainEntry = {
      tenantId: 't',
      seq: i,
      id: `id-${i}`,
      at: new Date(Date.UTC(2031, 0, i)).toISOString(),
      actorId: 'u',
      deviceId: null,
      deviceTime: null,
      action: i === 3 ? 'rollback' : 'update',
      entity: 'items',
      entityId: 'x',
      beforeHash: await snapshotHash(before),
      afterHash: await snapshotHash(after),
      reason: null,
      confirmation: null,
      ...(i === 3 ? { compensates: 'id-2' } : {}),
    };
    const hash = await chainHash(prev, e);
    entries.push({ ...e, prevHash: prev, hash });
    snaps.set(e.id, { before, after });
    prev = hash;
  }
  return { entries, snaps };
}

describe('audit chain', () => {
  it('canonical JSON sorts keys, drops undefined, refuses non-finite numbers', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, undefined], c: 'x' }, z: undefined })).toBe(
      '{"a":{"c":"x","d":[1,null]},"b":1}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
  });

  it('verifies an intact chain, also page by page, and ignores extra members of served entries', async () => {
    const { entries, snaps } = await chain(5);
    expect(await verifyChain(entries, (e) => snaps.get(e.id) ?? { before: null, after: null })).toMatchObject(
      { ok: true, length: 5 },
    );
    const first = await verifyChain(entries.slice(0, 2));
    expect(first.ok).toBe(true);
    const rest = await verifyChain(entries.slice(2), undefined, { prevHash: first.head, seq: 2 });
    expect(rest).toMatchObject({ ok: true, head: entries[4]?.hash });
    const served = entries.map((e) => ({ ...e, before: { anything: 1 }, after: null }));
    expect((await verifyChain(served)).ok).toBe(true);
  });

  it('detects a changed field, a changed compensates, a deleted, a reordered entry and a changed snapshot', async () => {
    const { entries, snaps } = await chain(5);
    const at = async (list: ChainedEntry[], withSnaps = false) => {
      const v = await verifyChain(
        list,
        withSnaps ? (e) => snaps.get(e.id) ?? { before: null, after: null } : undefined,
      );
      return v.ok ? null : [v.brokenAt, v.reason];
    };
    const copy = () => entries.map((e) => ({ ...e }));
    const changed = copy();
    (changed[1] as ChainedEntry).actorId = 'mallory';
    expect(await at(changed)).toEqual([2, 'entry content does not match its hash']);
    const comp = copy();
    (comp[2] as ChainedEntry).compensates = 'id-1';
    expect(await at(comp)).toEqual([3, 'entry content does not match its hash']);
    expect(await at([...entries.slice(0, 2), ...entries.slice(3)])).toEqual([
      4,
      'sequence jumps from 2 to 4',
    ]);
    expect(await at(entries.slice(1))).toEqual([2, 'does not link to the previous entry']);
    const swapped = copy();
    [swapped[1], swapped[2]] = [swapped[2] as ChainedEntry, swapped[1] as ChainedEntry];
    expect((await at(swapped))?.[0]).toBe(3);
    snaps.set('id-4', { before: { qty: 3 }, after: { qty: 400, name: 'n4' } });
    expect(await at(entries, true)).toEqual([4, 'after snapshot does not match its hash']);
  });

  it('co-signs with WebCrypto exactly as the server checks with node:crypto', async () => {
    const key = createHmac('sha256', 'server-secret').update('cosign:u-mgr').digest();
    const message = cosignMessage({
      tenantId: 't',
      entity: 'movements',
      entityId: 'm1',
      action: 'create',
      typed: 'SKU-1',
      reason: 'flood',
      at: '2031-01-01T00:00:00.000Z',
    });
    expect(await cosignSignature(key.toString('hex'), message)).toBe(
      createHmac('sha256', key).update(message).digest('hex'),
    );
    await expect(cosignSignature('zz', message)).rejects.toThrow();
  });
});
