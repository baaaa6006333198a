/** Direct API access for assertions in end-to-end tests (what the server holds, not the UI). */
export async function pullAll(
  baseUrl: string,
  username: string,
  tenant: string,
  collection: 'items' | 'balances' | 'movements',
): Promise<Record<string, unknown>[]> {
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo1234', deviceId: 'e2e-probe' }),
  });
  if (!login.ok) throw new Error(`login ${username}: ${login.status}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const out: Record<string, unknown>[] = [];
  let checkpoint: number | undefined;
  for (;;) {
    const q = new URLSearchParams({ limit: '1000' });
    if (checkpoint !== undefined) q.set('checkpoint', String(checkpoint));
    const res = await fetch(`${baseUrl}/api/t/${tenant}/sync/${collection}/pull?${q.toString()}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    if (!res.ok) throw new Error(`pull ${collection}: ${res.status}`);
    const page = (await res.json()) as {
      documents: Record<string, unknown>[];
      checkpoint: { seq: number } | null;
    };
    out.push(...page.documents);
    if (page.documents.length < 1000 || !page.checkpoint) return out;
    checkpoint = page.checkpoint.seq;
  }
}
