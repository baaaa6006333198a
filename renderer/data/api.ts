import type { LoginResponse, MeResponse } from '../../shared/api/auth.js';
import { LoginResponse as LoginResponseSchema } from '../../shared/api/auth.js';
import type { ClientAuditEntry } from '../../shared/audit/entry.js';
import type {
  PullResponse,
  PushResponse,
  PushRow,
  StaleCollection,
  StaleResponse,
  StreamEvent,
  SyncCollection,
} from '../../shared/sync/protocol.js';

/** An HTTP error answer of the server, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The network could not be reached (offline, server down, request aborted). */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

type TokenSource = {
  /** Current access token, or null when signed out. */
  accessToken(): string | null;
  /** Obtain a fresh access token (rotating the refresh token); null when the session is over. */
  refresh(): Promise<string | null>;
};

async function parseError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(
      res.status,
      body.error?.code ?? `http-${res.status}`,
      body.error?.message ?? res.statusText,
    );
  } catch {
    return new ApiError(res.status, `http-${res.status}`, res.statusText);
  }
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new NetworkError(e instanceof Error ? e.message : String(e));
  }
}

/** Typed client of the Bulkhead HTTP API (the contract in ACCESS-AND-SYNC.md). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenSource,
  ) {}

  async login(username: string, password: string, deviceId: string): Promise<LoginResponse> {
    const res = await send(`${this.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password, deviceId }),
    });
    if (!res.ok) throw await parseError(res);
    return LoginResponseSchema.parse(await res.json());
  }

  async refresh(refreshToken: string): Promise<LoginResponse> {
    const res = await send(`${this.baseUrl}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    if (!res.ok) throw await parseError(res);
    return LoginResponseSchema.parse(await res.json());
  }

  async logout(refreshToken: string): Promise<void> {
    await send(`${this.baseUrl}/api/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    }).catch(() => undefined);
  }

  /** Authenticated request; on 401 refreshes the access token once and retries. */
  private async authed(path: string, init: RequestInit = {}): Promise<Response> {
    const attempt = (token: string | null) =>
      send(`${this.baseUrl}${path}`, {
        ...init,
        headers: { ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
    let res = await attempt(this.tokens.accessToken());
    if (res.status === 401) {
      const fresh = await this.tokens.refresh();
      if (fresh) res = await attempt(fresh);
    }
    if (!res.ok) throw await parseError(res);
    return res;
  }

  /** GET a JSON resource of the API (path starts with /api/). */
  async getJson<T>(path: string): Promise<T> {
    return (await (await this.authed(path)).json()) as T;
  }

  /** POST/PUT/DELETE a JSON body and read the JSON answer (204 gives undefined). */
  async sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await this.authed(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /**
   * Download a file of the API: its bytes and the server's file name. `onProgress` hears the bytes
   * received so far and the announced size (null when the server sent none).
   */
  async download(
    path: string,
    onProgress?: (received: number, total: number | null) => void,
  ): Promise<{ blob: Blob; filename: string | null }> {
    const res = await this.authed(path);
    const cd = res.headers.get('content-disposition') ?? '';
    const m = /filename="?([^";]+)"?/.exec(cd);
    const reader = onProgress ? res.body?.getReader() : undefined;
    if (!onProgress || !reader) return { blob: await res.blob(), filename: m?.[1] ?? null };
    const total = Number(res.headers.get('content-length')) || null;
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      onProgress(received, total);
    }
    const type = res.headers.get('content-type') ?? 'application/octet-stream';
    return { blob: new Blob(chunks, { type }), filename: m?.[1] ?? null };
  }

  async me(): Promise<MeResponse> {
    return (await (await this.authed('/api/me')).json()) as MeResponse;
  }

  async pull(
    tenant: string,
    collection: SyncCollection,
    checkpoint: number | undefined,
    limit: number,
    base?: number,
  ): Promise<PullResponse> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (checkpoint !== undefined) q.set('checkpoint', String(checkpoint));
    if (base !== undefined) q.set('base', String(base));
    const res = await this.authed(
      `/api/t/${encodeURIComponent(tenant)}/sync/${collection}/pull?${q.toString()}`,
    );
    return (await res.json()) as PullResponse;
  }

  async push(
    tenant: string,
    collection: SyncCollection,
    changes: PushRow[],
    audit: ClientAuditEntry[],
  ): Promise<PushResponse> {
    const res = await this.authed(`/api/t/${encodeURIComponent(tenant)}/sync/${collection}/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ changes, audit }),
    });
    return (await res.json()) as PushResponse;
  }

  /** Of these versions (`[id, seq]`) held here, the documents the server holds newer (issue #7). */
  async stale(
    tenant: string,
    collection: StaleCollection,
    versions: [string, number][],
  ): Promise<StaleResponse> {
    const res = await this.authed(`/api/t/${encodeURIComponent(tenant)}/sync/${collection}/stale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ versions }),
    });
    return (await res.json()) as StaleResponse;
  }

  /**
   * Reads the tenant's server-sent event stream until `signal` aborts or the connection ends.
   * fetch instead of EventSource so the access token travels in a header, never in a URL.
   */
  async stream(tenant: string, signal: AbortSignal, onEvent: (e: StreamEvent) => void): Promise<void> {
    const res = await this.authed(`/api/t/${encodeURIComponent(tenant)}/sync/stream`, {
      headers: { accept: 'text/event-stream' },
      signal,
    });
    if (!res.body) throw new NetworkError('stream has no body');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch((e: unknown) => {
        throw new NetworkError(e instanceof Error ? e.message : String(e));
      });
      if (done) return;
      buffer += value;
      let sep: number;
      while ((sep = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        const event = parseSseFrame(frame);
        if (event) onEvent(event);
      }
    }
  }
}

/** Parse one SSE frame (`event:` + `data:` lines); comments and unknown frames give null. */
export function parseSseFrame(frame: string): StreamEvent | null {
  let type: string | null = null;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return null;
  try {
    const parsed = JSON.parse(data.join('\n')) as Record<string, unknown>;
    return { ...parsed, type: type ?? parsed['type'] } as StreamEvent;
  } catch {
    return null;
  }
}
