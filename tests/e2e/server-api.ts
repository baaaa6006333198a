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

/** A signed-in API session for arranging and checking server state from a test. */
export async function apiAs(baseUrl: string, username: string) {
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo1234', deviceId: `e2e-${username}` }),
  });
  if (!login.ok) throw new Error(`login ${username}: ${login.status}`);
  const { accessToken, user } = (await login.json()) as { accessToken: string; user: { id: string } };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { userId: user.id, call };
}
