/**
 * What every fuzzed answer must satisfy, the database snapshot that proves nothing changed, and
 * the results file the reliability report reads (`.tsbuild/reliability/fuzz.json`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../../../server/db/types.js';

/**
 * Tables that legitimately record refusals, left out of the "nothing changed" snapshot:
 * `activity` (a rejected push is an anomaly-rule event) and `activity_state` (the rules' running
 * counts), `alerts` (repeated rejected pushes raise one) and `alert_deliveries` (their webhook outbox).
 */
export const REFUSAL_TABLES = ['activity', 'activity_state', 'alerts', 'alert_deliveries'] as const;

export type Snapshot = Record<string, { rows: number; hash: string }>;

/** Row count and content hash of every table but the refusal records (owner handle: no RLS). */
export async function snapshot(owner: Kysely<DB>): Promise<Snapshot> {
  const tables = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(owner);
  const out: Snapshot = {};
  for (const { name } of tables.rows) {
    if ((REFUSAL_TABLES as readonly string[]).includes(name)) continue;
    const r = await sql<{ n: number | string; h: string | null }>`
      SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${sql.table(name)} t`.execute(
      owner,
    );
    const row = r.rows[0];
    out[name] = { rows: Number(row?.n ?? 0), hash: row?.h ?? '' };
  }
  return out;
}

/** What a case may answer. */
export type Expect =
  /** A bad, expired or forged token on a route that needs one: exactly 401. */
  | 'unauthenticated'
  /** Anything the caller got wrong: a 4xx. */
  | 'client-error'
  /** A read with odd but well-formed input: a 2xx or a 4xx. */
  | 'read'
  /** A push: a 4xx, or 200 with every change rejected and none accepted (the protocol's way). */
  | 'push'
  /** Logout of an unknown token is idempotent: 204 or a 4xx. */
  | 'logout'
  /** A stale check naming only documents the caller may not see: 200 with no documents, or a 4xx. */
  | 'nothing-found';

export type Answer = { status: number; headers: Record<string, unknown>; body: string };

function errorBodyProblem(a: Answer, method: string): string | null {
  if (method === 'HEAD') return null;
  const raw = a.headers['content-type'];
  const ct = typeof raw === 'string' ? raw : '';
  if (!ct.includes('application/json')) return `error answer is not JSON (content-type ${ct || 'none'})`;
  let body: unknown;
  try {
    body = JSON.parse(a.body);
  } catch {
    return 'error answer does not parse as JSON';
  }
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof e?.code !== 'string' || e.code.length === 0) return 'error body has no code';
  if (typeof e.message !== 'string' || e.message.length === 0) return 'error body has no message';
  return null;
}

/** Why `answer` breaks the rules for `expect`, or null when it is fine. */
export function problemWith(expect: Expect, method: string, a: Answer, pushedIds: number): string | null {
  if (a.status >= 500) return `server error ${a.status}: ${a.body.slice(0, 300)}`;
  if (a.status >= 400) {
    if (a.status >= 500 || a.status < 400) return `unexpected status ${a.status}`;
    const p = errorBodyProblem(a, method);
    if (p) return `${a.status}: ${p}: ${a.body.slice(0, 200)}`;
    // Undecodable text is refused before anything else, like a body that does not parse.
    const textRefused = a.status === 400 && /"(invalid_text|too_deep)"/.test(a.body);
    if (expect === 'unauthenticated' && a.status !== 401 && !textRefused)
      return `expected 401, got ${a.status}: ${a.body.slice(0, 200)}`;
    return null;
  }
  switch (expect) {
    case 'unauthenticated':
    case 'client-error':
      return `expected a 4xx, got ${a.status}: ${a.body.slice(0, 300)}`;
    case 'read':
      return a.status >= 200 && a.status < 300 ? null : `expected 2xx or 4xx, got ${a.status}`;
    case 'logout':
      return a.status === 204 ? null : `expected 204 or 4xx, got ${a.status}`;
    case 'nothing-found': {
      if (a.status !== 200) return `expected 200 or 4xx, got ${a.status}`;
      const r = JSON.parse(a.body) as { documents?: unknown[] };
      return Array.isArray(r.documents) && r.documents.length === 0
        ? null
        : `revealed documents of another tenant: ${a.body.slice(0, 300)}`;
    }
    case 'push': {
      if (a.status !== 200) return `push: expected 200 or 4xx, got ${a.status}`;
      const r = JSON.parse(a.body) as { rejections?: unknown[]; accepted?: unknown[] };
      if ((r.accepted ?? []).length > 0) return `push accepted forged changes: ${a.body.slice(0, 300)}`;
      if ((r.rejections ?? []).length < pushedIds)
        return `push: ${pushedIds} forged documents but ${(r.rejections ?? []).length} rejections: ${a.body.slice(0, 300)}`;
      return null;
    }
  }
}

/** Tally of a fuzz run. */
export type FuzzTally = {
  cases: number;
  seeds: number[];
  byStatus: Record<string, number>;
  byMutation: Record<string, number>;
  endpoints: number;
  notes: string[];
};

export const newTally = (): FuzzTally => ({
  cases: 0,
  seeds: [],
  byStatus: {},
  byMutation: {},
  endpoints: 0,
  notes: [],
});

const RESULTS_DIR = path.resolve('.tsbuild/reliability');

/**
 * Writes this suite's part (`fuzz-http.json` / `fuzz-ipc.json`) and merges every part present
 * into `fuzz.json` in the format the reliability report reads.
 */
export function writeFuzzResults(part: 'http' | 'ipc', data: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `fuzz-${part}.json`), JSON.stringify(data, null, 2) + '\n');
  const read = (p: string): Record<string, unknown> | null => {
    const f = path.join(RESULTS_DIR, `fuzz-${p}.json`);
    if (!existsSync(f)) return null;
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const http = read('http');
  const ipc = read('ipc');
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const byStatus: Record<string, number> = {};
  for (const p of [http, ipc])
    for (const [k, v] of Object.entries((p?.byStatus as Record<string, number> | undefined) ?? {}))
      byStatus[k] = (byStatus[k] ?? 0) + v;
  const merged = {
    suite: 'fuzz',
    cases: num(http?.cases) + num(ipc?.cases),
    seeds: [
      ...((http?.seeds as number[] | undefined) ?? []),
      ...((ipc?.seeds as number[] | undefined) ?? []),
    ],
    byStatus,
    endpoints: num(http?.endpoints),
    ipcChannels: num(ipc?.ipcChannels),
    http,
    ipc,
    notes: [
      ...((http?.notes as string[] | undefined) ?? []),
      ...((ipc?.notes as string[] | undefined) ?? []),
    ],
    generatedAt: new Date().toISOString(),
  };
  writeFileSync(path.join(RESULTS_DIR, 'fuzz.json'), JSON.stringify(merged, null, 2) + '\n');
}
