import { execFile } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditVerifyAnswer } from '../../../shared/api/audit.js';
import { runAuditVerify } from '../../../server/audit/verify-cli.js';
import type { TestServer } from '../../helpers/server.js';
import { ADMIN_DATABASE_URL, api, integrationBackends, startTestServer } from '../../helpers/server.js';
import type { Session } from './client.js';
import { movement, pushChanges, session } from './client.js';

const backends = await integrationBackends();
const T = 'acme';

describe.each(backends)('tampering is detected by the verify route and the CLI (%s)', (backend) => {
  let s: TestServer;
  let aud: Session;
  let dbUrl: string | null = null;

  const route = async () =>
    (await api<AuditVerifyAnswer>(s.url, `/api/t/${T}/audit/verify`, { token: aud.token })).body;
  const cli = async (args: string[]) => {
    const out: string[] = [];
    const code = await runAuditVerify(
      args,
      { BULKHEAD_PASSWORD: 'demo1234' },
      { out: (l) => out.push(l), err: (l) => out.push(l) },
    );
    return { code, text: out.join('\n') };
  };
  /** Every way to verify: the route, the CLI through the API, the CLI on the database (PostgreSQL). */
  async function expectVerdict(broken: { seq: number; reason: RegExp } | null): Promise<void> {
    const v = await route();
    const viaApi = await cli(['--url', s.url, '--tenant', T, '--user', 'aud.acme']);
    const viaDb = dbUrl ? await cli(['--database-url', dbUrl, '--tenant', T]) : null;
    if (broken === null) {
      expect(v.ok).toBe(true);
      expect(viaApi.code, viaApi.text).toBe(0);
      if (viaDb) expect(viaDb.code, viaDb.text).toBe(0);
      return;
    }
    expect(v).toMatchObject({
      ok: false,
      brokenAt: broken.seq,
      reason: expect.stringMatching(broken.reason) as string,
    });
    if (viaDb) {
      expect(viaDb.code).toBe(1);
      expect(viaDb.text).toContain(`BROKEN at seq ${broken.seq}:`);
    }
  }
  /** Links are checked through the API (no snapshots): a snapshot edit shows only where snapshots are read. */
  async function expectApiBroken(seq: number): Promise<void> {
    const viaApi = await cli(['--url', s.url, '--tenant', T, '--user', 'aud.acme']);
    expect(viaApi.code, viaApi.text).toBe(1);
    expect(viaApi.text).toContain(`BROKEN at seq ${seq}:`);
  }

  const row = (seq: number) =>
    s.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', T)
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();
  const restore = async (r: Awaited<ReturnType<typeof row>>) => {
    await s.db.deleteFrom('audit_log').where('tenant_id', '=', T).where('seq', '=', r.seq).execute();
    await s.db
      .insertInto('audit_log')
      .values({
        ...r,
        before: r.before === null ? null : JSON.stringify(r.before),
        after: r.after === null ? null : JSON.stringify(r.after),
        confirmation: r.confirmation === null ? null : JSON.stringify(r.confirmation),
      })
      .execute();
  };

  beforeAll(async () => {
    s = await startTestServer({ backend, seed: { itemsPerTenant: 5 } });
    if (backend === 'postgres' && s.databaseName) {
      const u = new URL(ADMIN_DATABASE_URL);
      u.pathname = `/${s.databaseName}`;
      dbUrl = u.toString();
    }
    aud = await session(s.url, 'aud.acme');
    const op = await session(s.url, 'op.acme');
    for (let i = 0; i < 6; i++) {
      const r = await pushChanges(s.url, op, T, 'movements', [
        { newDocumentState: movement(T, { quantity: i + 1 }) },
      ]);
      expect(r.body.rejections).toEqual([]);
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  it('reports an intact chain of seed + 6 entries', async () => {
    await expectVerdict(null);
    expect((await route()).length).toBe(7);
  });

  it('detects a changed field', async () => {
    const r = await row(3);
    await s.db
      .updateTable('audit_log')
      .set({ actor_id: 'u-someone-else' })
      .where('tenant_id', '=', T)
      .where('seq', '=', 3)
      .execute();
    await expectVerdict({ seq: 3, reason: /does not match its hash/ });
    await expectApiBroken(3);
    await restore(r);
    await expectVerdict(null);
  });

  it('detects a changed snapshot', async () => {
    const r = await row(4);
    await sql`UPDATE audit_log SET after = jsonb_set(after, '{quantity}', '999') WHERE tenant_id = ${T} AND seq = 4`.execute(
      s.db,
    );
    await expectVerdict({ seq: 4, reason: /after snapshot/ });
    await restore(r);
    await expectVerdict(null);
  });

  it('detects a deleted entry, in the middle and at the end', async () => {
    const r = await row(5);
    await s.db.deleteFrom('audit_log').where('tenant_id', '=', T).where('seq', '=', 5).execute();
    await expectVerdict({ seq: 6, reason: /sequence jumps/ });
    await expectApiBroken(6);
    await restore(r);
    const last = await row(7);
    await s.db.deleteFrom('audit_log').where('tenant_id', '=', T).where('seq', '=', 7).execute();
    await expectVerdict({ seq: 7, reason: /head records seq 7/ });
    await expectApiBroken(7);
    await restore(last);
    await expectVerdict(null);
  });

  it('detects reordered entries (two entries swap their seq)', async () => {
    const a = await row(2);
    const b = await row(3);
    await s.db.deleteFrom('audit_log').where('tenant_id', '=', T).where('seq', 'in', [2, 3]).execute();
    await restore({ ...a, seq: 3 });
    await restore({ ...b, seq: 2 });
    await expectVerdict({ seq: 2, reason: /does not link/ });
    await expectApiBroken(2);
    await s.db.deleteFrom('audit_log').where('tenant_id', '=', T).where('seq', 'in', [2, 3]).execute();
    await restore(a);
    await restore(b);
    await expectVerdict(null);
  });

  it('exits 0 / 1 as a real command', async () => {
    // Asynchronously: the server under test answers from this very process.
    const run = () =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          'npx',
          ['tsx', 'scripts/audit-verify.ts', '--url', s.url, '--tenant', T, '--user', 'aud.acme'],
          { env: { ...process.env, BULKHEAD_PASSWORD: 'demo1234' }, encoding: 'utf8' },
          (err, stdout, stderr) =>
            resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      });
    const ok = await run();
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/acme: intact — 7 entries/);
    await s.db
      .updateTable('audit_log')
      .set({ reason: 'edited' })
      .where('tenant_id', '=', T)
      .where('seq', '=', 2)
      .execute();
    const bad = await run();
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/BROKEN at seq 2: entry content does not match its hash/);
  });
});
