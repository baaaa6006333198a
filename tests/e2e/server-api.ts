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

/**
 * An open order of one unit of each SKU, created through the API as a manager (mgr) would, with
 * numbered line ids ("1", "2" …) as orders had before lines got random ids. Returns its id.
 */
export async function createOrderAsManager(
  baseUrl: string,
  number: string,
  skus: readonly string[],
): Promise<string> {
  const items = await pullAll(baseUrl, 'mgr', 'acme', 'items');
  const idOf = (sku: string) => String(items.find((i) => i['sku'] === sku)?.['id']);
  const mgr = await apiAs(baseUrl, 'mgr');
  const id = crypto.randomUUID();
  const order = {
    id,
    tenantId: 'acme',
    number,
    customerName: 'Kim Retail',
    customerPhone: null,
    customerEmail: null,
    shipTo: { line1: '1 Harbour Rd', line2: null, city: 'Rotterdam', postalCode: '3011', country: 'NL' },
    status: 'open',
    lines: skus.map((sku, i) => ({ lineId: String(i + 1), itemId: idOf(sku), qty: 1 })),
    updatedAt: new Date().toISOString(),
    seq: 0,
  };
  const audit = [
    {
      id: crypto.randomUUID(),
      entity: 'orders',
      entityId: id,
      action: 'create',
      actorId: mgr.userId,
      deviceId: 'e2e-setup',
      deviceTime: new Date().toISOString(),
      reason: null,
      confirmation: null,
    },
  ];
  const res = await mgr.call<{ rejections: unknown[] }>('POST', '/api/t/acme/sync/orders/push', {
    changes: [{ newDocumentState: order, assumedMasterState: null }],
    audit,
  });
  if (res.rejections.length > 0)
    throw new Error(`order ${number} refused: ${JSON.stringify(res.rejections)}`);
  return id;
}

/** The server's version of an acme order, as mgr pulls it (undefined: not there). */
export async function serverOrder(baseUrl: string, id: string): Promise<Record<string, unknown> | undefined> {
  const mgr = await apiAs(baseUrl, 'mgr');
  const r = await mgr.call<{ documents: Record<string, unknown>[] }>(
    'GET',
    '/api/t/acme/sync/orders/pull?limit=1000',
  );
  return r.documents.find((o) => o['id'] === id);
}

type Policy = { version: number; overrides: Record<string, unknown>; settings: Record<string, unknown> };

/**
 * acme's admin changes acme's field policy and settings: `change` gets the current ones and returns
 * the new ones; the edit is made against the current version, with `reason`.
 */
export async function changeAcmePolicy(
  baseUrl: string,
  reason: string,
  change: (p: Policy) => Pick<Policy, 'overrides' | 'settings'>,
): Promise<void> {
  const admin = await apiAs(baseUrl, 'admin.acme');
  const policy = await admin.call<Policy>('GET', '/api/t/acme/policy');
  await admin.call('PUT', '/api/t/acme/policy', {
    ...change(policy),
    expectedVersion: policy.version,
    reason,
  });
}
