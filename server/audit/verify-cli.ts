import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { AuditChainPage } from '../../shared/api/audit.js';
import type { ChainVerdict } from '../../shared/audit/chain.js';
import { GENESIS_HASH, verifyChain } from '../../shared/audit/chain.js';
import type { DB } from '../db/types.js';
import { verifyTenantChain } from './log.js';

export type CliIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  prompt?: (q: string) => Promise<string>;
};

const USAGE = `usage:
  npm run audit:verify -- --url http://host:8787 --tenant acme --user aud.acme
      (password from BULKHEAD_PASSWORD, else asked for; verifies the chain's links and hashes)
  npm run audit:verify -- --database-url postgres://owner@host/db [--tenant acme]
      (reads the table as its owner; also checks every snapshot against its hash)
exit code: 0 intact, 1 broken, 2 could not verify`;

const report = (io: CliIo, tenant: string, v: ChainVerdict): number => {
  if (v.ok) {
    io.out(`${tenant}: intact — ${v.length} entries, head ${v.head}`);
    return 0;
  }
  io.out(`${tenant}: BROKEN at seq ${v.brokenAt}: ${v.reason}`);
  return 1;
};

/** Linkage of a tenant's whole chain through the API (an auditor's credentials). */
async function viaApi(url: string, tenant: string, token: string): Promise<ChainVerdict> {
  let afterSeq = 0;
  let from: { prevHash: string; seq: number } | undefined;
  let length = 0;
  let head = { seq: 0, hash: GENESIS_HASH };
  for (;;) {
    const res = await fetch(
      `${url}/api/t/${encodeURIComponent(tenant)}/audit/chain?afterSeq=${afterSeq}&limit=5000`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    if (!res.ok) throw new Error(`reading the chain failed: HTTP ${res.status} ${await res.text()}`);
    const page = (await res.json()) as AuditChainPage;
    head = page.head;
    const v = await verifyChain(page.entries, undefined, from);
    if (!v.ok) return { ...v, length: length + v.length };
    length += page.entries.length;
    const last = page.entries[page.entries.length - 1];
    if (last) from = { prevHash: last.hash, seq: last.seq };
    if (page.nextAfterSeq === null) break;
    afterSeq = page.nextAfterSeq;
  }
  const lastSeq = from?.seq ?? 0;
  const lastHash = from?.prevHash ?? GENESIS_HASH;
  if (lastSeq !== head.seq || lastHash !== head.hash)
    return {
      ok: false,
      length,
      head: lastHash,
      brokenAt: Math.min(lastSeq, head.seq) + 1,
      reason: `the chain ends at seq ${lastSeq} but the tenant's head records seq ${head.seq}`,
    };
  return { ok: true, length, head: lastHash };
}

/** `npm run audit:verify`: returns the exit code. */
export async function runAuditVerify(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        tenant: { type: 'string' },
        user: { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    if (args['database-url']) {
      const pool = new pg.Pool({ connectionString: args['database-url'], max: 1 });
      const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
      try {
        const tenants = args.tenant
          ? [args.tenant]
          : (await db.selectFrom('tenants').select('id').orderBy('id').execute()).map((t) => t.id);
        let code = 0;
        for (const t of tenants) code = Math.max(code, report(io, t, await verifyTenantChain(db, t)));
        return code;
      } finally {
        await db.destroy();
      }
    }
    if (!args.url || !args.tenant || !args.user) {
      io.err(USAGE);
      return 2;
    }
    const password =
      env.BULKHEAD_PASSWORD ?? (io.prompt ? await io.prompt(`password for ${args.user}: `) : undefined);
    if (!password) {
      io.err('no password: set BULKHEAD_PASSWORD or run in a terminal');
      return 2;
    }
    const url = args.url.replace(/\/+$/, '');
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: args.user, password, deviceId: 'audit-verify-cli' }),
    });
    if (!login.ok) {
      io.err(`sign-in failed: HTTP ${login.status}`);
      return 2;
    }
    const { accessToken } = (await login.json()) as { accessToken: string };
    return report(io, args.tenant, await viaApi(url, args.tenant, accessToken));
  } catch (e) {
    io.err(`could not verify: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

/** A terminal prompt (the password is echoed only where the terminal does; prefer the env var). */
export async function terminalPrompt(q: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(q);
  } finally {
    rl.close();
  }
}
