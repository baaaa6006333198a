/**
 * Bad input, IPC: every channel of the contract (a new channel is fuzzed automatically) gets
 * payloads derived from its zod schema — valid ones must reach the handler, mutated ones (wrong
 * types, missing and extra fields, huge strings, unicode in keys, deep nesting, values JSON
 * cannot express, extra arguments) and calls from untrusted senders must be refused with a
 * coded IpcError before the handler runs, and every call settles (no hang, no crash).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { IPC_CHANNELS, IpcError, registerIpcHandlers } from '../../../electron/main/ipc.main.js';
import type { IpcHandlers, SenderGuard } from '../../../electron/main/ipc.main.js';
import { isTrustedSender } from '../../../electron/main/security.js';
import { IPC } from '../../../shared/ipc/contract.js';
import type { IpcChannel } from '../../../shared/ipc/contract.js';
import { writeFuzzResults } from '../../integration/fuzz/oracle.js';
import { arbFromSchema, fuzzString, invalidValue } from '../../integration/fuzz/zod-arb.js';
import { FakeIpcMain, ipcEvent } from './fakes.js';

const RUNS_PER_CHANNEL = Number(process.env.FUZZ_IPC_RUNS ?? 300);
const BASE_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2_147_483_647;
const SETTLE_MS = 5_000;

const schemaOf = (c: IpcChannel, part: 'payload' | 'result'): z.ZodType => IPC[c][part];

function setup() {
  const results = new Map<IpcChannel, unknown>();
  const calls: { channel: IpcChannel; payload: unknown }[] = [];
  const handlers = Object.fromEntries(
    IPC_CHANNELS.map((c) => [
      c,
      vi.fn((payload: unknown) => {
        calls.push({ channel: c, payload });
        return results.get(c);
      }),
    ]),
  ) as unknown as IpcHandlers;
  const ipcMain = new FakeIpcMain();
  const guard: SenderGuard = (event) => isTrustedSender(event, { id: 1 });
  registerIpcHandlers(ipcMain, handlers, guard);
  return { ipcMain, results, calls };
}

/** Settles the call, or fails the case as a hang. */
async function settle(
  p: Promise<unknown>,
): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`IPC call did not settle within ${SETTLE_MS} ms`)), SETTLE_MS);
  });
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value })), hang]);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('IPC call did not settle')) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

const tally = { cases: 0, seeds: [] as number[], byOutcome: {} as Record<string, number> };
const count = (k: string): void => {
  tally.cases++;
  tally.byOutcome[k] = (tally.byOutcome[k] ?? 0) + 1;
};

afterAll(() => {
  writeFuzzResults('ipc', {
    suite: 'fuzz-ipc',
    cases: tally.cases,
    seeds: tally.seeds,
    byStatus: Object.fromEntries(Object.entries(tally.byOutcome).map(([k, v]) => [`ipc:${k}`, v])),
    ipcChannels: IPC_CHANNELS.length,
    notes: [
      `IPC: ${IPC_CHANNELS.length} channels of shared/ipc/contract.ts, ${RUNS_PER_CHANNEL} cases per channel and family (valid, mutated payload, untrusted sender); mutated payloads and untrusted senders were refused with a coded IpcError before the handler ran.`,
    ],
  });
});

describe('IPC fuzz: every contract channel', () => {
  it.each(IPC_CHANNELS.map((c, i) => [c, i] as const))(
    '%s: valid payloads reach the handler, mutated ones and extra arguments are refused as bad-payload',
    async (channel, index) => {
      const { ipcMain, results, calls } = setup();
      const payload = schemaOf(channel, 'payload');
      const resultArb = arbFromSchema(schemaOf(channel, 'result'), fuzzString(40));
      const seed = (BASE_SEED + index * 104_729) % 2_147_483_647;
      tally.seeds.push(seed);
      const trusted = ipcEvent({});

      // Valid payloads (so the refusals below are not a gate that refuses everything).
      await fc.assert(
        fc.asyncProperty(arbFromSchema(payload, fuzzString(40)), resultArb, async (p, result) => {
          fc.pre(payload.safeParse(p).success);
          const parsedResult = schemaOf(channel, 'result').safeParse(result);
          fc.pre(parsedResult.success);
          results.set(channel, result);
          calls.length = 0;
          const r = await settle(
            p === undefined ? ipcMain.invoke(channel, trusted) : ipcMain.invoke(channel, trusted, p),
          );
          expect(r.ok, r.ok ? '' : String(r.error)).toBe(true);
          expect(calls).toHaveLength(1);
          count('accepted');
        }),
        { seed, numRuns: RUNS_PER_CHANNEL },
      );

      // Mutated payloads, and a second argument.
      const mutated = arbFromSchema(payload, fuzzString(40)).chain((v) =>
        fc.oneof(
          {
            weight: 4,
            arbitrary: invalidValue(payload, v).map((m) => ({ args: [m.value], what: m.mutation })),
          },
          {
            weight: 1,
            arbitrary: fc
              .anything({ maxDepth: 3, maxKeys: 4 })
              .map((extra) => ({ args: [v, extra], what: 'extra-argument' })),
          },
        ),
      );
      await fc.assert(
        fc.asyncProperty(mutated, async ({ args, what }) => {
          fc.pre(args.length > 1 || !payload.safeParse(args[0]).success);
          calls.length = 0;
          const r = await settle(ipcMain.invoke(channel, trusted, ...args));
          expect(r.ok, `${what} was accepted`).toBe(false);
          if (r.ok) return;
          expect(r.error).toBeInstanceOf(IpcError);
          expect((r.error as IpcError).code).toBe('bad-payload');
          expect((r.error as IpcError).message).toMatch(/^\[bad-payload\] /);
          expect(calls).toHaveLength(0);
          count('bad-payload');
        }),
        { seed: seed + 1, numRuns: RUNS_PER_CHANNEL },
      );
    },
    60_000,
  );

  it.each(IPC_CHANNELS.map((c, i) => [c, i] as const))(
    '%s: calls from untrusted senders are refused before the payload is even parsed',
    async (channel, index) => {
      const { ipcMain, calls } = setup();
      const seed = (BASE_SEED + 7 + index * 104_729) % 2_147_483_647;
      tally.seeds.push(seed);
      const origins = fc.oneof(
        fc.constantFrom(
          'app://bulkhead.evil',
          'app://evil',
          'app://bulkhead@evil.example',
          'https://bulkhead',
          'http://localhost:5173',
          'file://',
          'null',
          'devtools://devtools',
          'APP://BULKHEAD',
        ),
        fc.webUrl().map((u) => new URL(u).origin),
      );
      const event = fc.oneof(
        fc
          .integer({ min: 2, max: 1_000_000 })
          .map((senderId) => ({ event: ipcEvent({ senderId }), what: 'other webContents' })),
        fc.constant({ event: ipcEvent({ isMainFrame: false }), what: 'subframe' }),
        fc.constant({ event: ipcEvent({ frame: null }), what: 'destroyed frame' }),
        origins.map((origin) => ({ event: ipcEvent({ origin }), what: `origin ${origin}` })),
        fuzzString(60).map((url) => ({ event: ipcEvent({ url }), what: 'foreign url' })),
      );
      await fc.assert(
        fc.asyncProperty(event, arbFromSchema(schemaOf(channel, 'payload'), fuzzString(20)), async (e, p) => {
          fc.pre(!(e.what === 'foreign url' && isTrustedSender(e.event as never, { id: 1 })));
          calls.length = 0;
          const r = await settle(ipcMain.invoke(channel, e.event, p));
          expect(r.ok, `${e.what} was trusted`).toBe(false);
          if (r.ok) return;
          expect((r.error as IpcError).code).toBe('untrusted-sender');
          expect(calls).toHaveLength(0);
          count('untrusted-sender');
        }),
        { seed, numRuns: Math.ceil(RUNS_PER_CHANNEL / 3) },
      );
    },
    60_000,
  );
});
