import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyError, FastifyHttpOptions, FastifyInstance, FastifyReply } from 'fastify';
import type { Server } from 'node:http';
import { sql } from 'kysely';
import { ZodError } from 'zod';
import { Role as RoleSchema, roleCan } from '../shared/access/policy.js';
import type { Alert } from '../shared/api/alerts.js';
import { LoginRequest, RefreshRequest } from '../shared/api/auth.js';
import { cosignMessage } from '../shared/audit/cosign.js';
import { CosignRequest } from '../shared/audit/cosign-sign.js';
import type { CosignResponse } from '../shared/audit/cosign-sign.js';
import {
  PullQuery,
  PushRequest,
  StaleCollection,
  StaleRequest,
  SyncCollection,
} from '../shared/sync/protocol.js';
import type { ServerKeys } from './auth/keys.js';
import { cosignKey, loadServerKeys } from './auth/keys.js';
import type { AuthDeps } from './auth/service.js';
import {
  authenticate,
  checkPassword,
  isSessionLive,
  login,
  logout,
  me,
  refresh,
  verifyAccessToken,
} from './auth/service.js';
import type { WebhookConfig } from './alerts/service.js';
import { firstGrantAccess, recordActivity } from './alerts/service.js';
import { WebhookDispatcher } from './alerts/webhook.js';
import { LoginThrottle } from './auth/throttle.js';
import type { RateLimits } from './auth/rate-limit.js';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './auth/rate-limit.js';
import { membershipValidAt, withAppTransaction, withTenantScope } from './db/scope.js';
import type { TenantScope } from './db/scope.js';
import type { Database } from './db/types.js';
import { registerAdminRoutes } from './http/admin.js';
import { registerAlertRoutes } from './http/alerts.js';
import { registerAuditRoutes } from './http/audit.js';
import type { RouteContext } from './http/common.js';
import { assertSaneInput, parseOr400, tenantParam } from './http/common.js';
import { errorBody, HttpError } from './http/errors.js';
import { registerGrantRoutes } from './http/grants.js';
import { registerLocationRoutes } from './http/locations.js';
import { registerReportRoutes } from './http/reports.js';
import { ChangeHub } from './sync/hub.js';
import { pull, push, stale } from './sync/service.js';
import { openStream, StreamRegistry } from './sync/stream.js';
import { registerUpdateFeed } from './http/updates.js';

export type BuildServerOptions = {
  db: Database;
  logger?: boolean | object;
  /** HS256 secret for access tokens; generated once and persisted in the database when absent. */
  jwtSecret?: Uint8Array;
  /**
   * The server's clock for tokens and timestamps (tests inject one). When injected, membership
   * validity is judged at this clock too (instead of the database's now()), so tests can move time.
   */
  now?: () => Date;
  /** A built renderer to serve at `/` with SPA fallback. */
  staticDir?: string;
  /** Origins allowed by CORS; the Electron app's custom scheme by default. */
  corsOrigins?: string[];
  /** SSE heartbeat period (tests shorten it). */
  heartbeatMs?: number;
  /** Folder IT fills with electron-builder's `latest*.yml` and installers, served at `/updates/`. */
  updatesDir?: string;
  /** Outbound alert webhook (BULKHEAD_ALERT_WEBHOOK_URL / _SECRET); none when absent. */
  alertWebhook?: WebhookConfig | null;
  /** Request rate limits (429 with Retry-After); unset ones keep DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<RateLimits>;
  /** Largest accepted request body in bytes (413 above it); BODY_LIMIT by default. */
  bodyLimit?: number;
  /** Time a client has to send a whole request (headers and body) before a 408; 30 s by default. */
  requestTimeoutMs?: number;
  /**
   * Behind a reverse proxy, which proxies to believe about the client address (X-Forwarded-For),
   * so per-address limits count clients, not the proxy: Fastify's `trustProxy` (true, or
   * addresses/CIDRs). Off by default: a direct client could otherwise forge its address.
   */
  trustProxy?: boolean | string;
};

export const BODY_LIMIT = 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 30_000;

/** Every route as Fastify registered it, per server (the scope-guard test drives them all). */
export type RouteEntry = { method: string; url: string };
export const ROUTE_TABLE = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Builds the HTTP server (not listening). Routes are the contract in ACCESS-AND-SYNC.md. */
export function buildServer(opts: BuildServerOptions): FastifyInstance {
  const { db } = opts;
  const now = opts.now ?? (() => new Date());
  const injected = opts.now;
  const at = (): Date | undefined => injected?.();
  const requestTimeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const trustProxy: FastifyHttpOptions<Server>['trustProxy'] = opts.trustProxy ?? false;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? BODY_LIMIT,
    trustProxy,
    // Stream responses are ended in preClose; anything else idle may be dropped on shutdown.
    forceCloseConnections: 'idle',
    // A client trickling its request (slowloris) is cut off with a 408 instead of holding a socket.
    // Node checks for overdue requests every connectionsCheckingInterval, so keep it well below.
    requestTimeout,
    http: { connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(requestTimeout / 4))) },
    // Router-level refusals get the standard error body too (Fastify's own shape otherwise).
    frameworkErrors: (err: FastifyError, _req: unknown, reply: FastifyReply) => {
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
        void reply.status(414).send(errorBody('uri_too_long', 'a path segment of the URL is too long'));
      else if (err.code === 'FST_ERR_BAD_URL')
        void reply.status(400).send(errorBody('bad_url', 'the URL is not validly encoded'));
      else void reply.status(500).send(errorBody('internal', 'internal server error'));
    },
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, text, body] =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', errorBody('request_timeout', 'the request was not received in time')]
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? [
                431,
                'Request Header Fields Too Large',
                errorBody('headers_too_large', 'request headers are too large'),
              ]
            : [400, 'Bad Request', errorBody('bad_request', 'malformed HTTP request')];
      const json = JSON.stringify(body);
      if (socket.writable)
        socket.write(
          `HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(json)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${json}`,
        );
      socket.destroy(err);
    },
  });
  const routes: RouteEntry[] = [];
  ROUTE_TABLE.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) routes.push({ method: m, url: r.url });
  });

  let keysPromise: Promise<ServerKeys> | null = null;
  const keys = (): Promise<ServerKeys> => {
    keysPromise ??= loadServerKeys(db.owner, opts.jwtSecret).catch((e: unknown) => {
      keysPromise = null;
      throw e;
    });
    return keysPromise;
  };
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };
  const perUser = new RateLimiter(now, limits.apiPerUser, limits.windowMs);
  const perIp = new RateLimiter(now, limits.apiPerIp, limits.windowMs);
  const loginPerIp = new RateLimiter(now, limits.loginPerIp, limits.windowMs);
  const tooMany = (wait: number, what: string): HttpError =>
    new HttpError(429, 'rate_limited', `too many ${what}; try again in ${wait} s`, wait);
  const limitUser = (userId: string): void => {
    const wait = perUser.hit(userId);
    if (wait > 0) throw tooMany(wait, 'requests from this user');
  };
  const limitLogin = (ip: string): void => {
    const wait = loginPerIp.hit(ip);
    if (wait > 0) throw tooMany(wait, 'sign-in attempts from this address');
  };
  const deps: AuthDeps = { db, now, keys, at, limitUser };
  const throttle = new LoginThrottle(now);
  const hub = new ChangeHub(db);
  const streams = new StreamRegistry();
  const webhook = opts.alertWebhook ?? null;
  const dispatcher = webhook ? new WebhookDispatcher(db, webhook, app.log) : null;
  const raised = (alerts: Alert[]): void => {
    if (alerts.length > 0) dispatcher?.kick();
  };
  const ctx: RouteContext = { ...deps, hub, alerts: { webhook, raised } };
  /** Memberships already checked for "first access through a grant" (user|tenant|version). */
  const accessSeen = new Set<string>();
  /**
   * Within a scope: the first pull or push through a grant membership raises its event, once. With
   * `later`, the membership counts as checked only when the caller calls `seen` (after its
   * transaction committed): the push checks before its writes, which may still roll back.
   */
  const noteAccess = async (
    tx: Parameters<Parameters<typeof withTenantScope>[3]>[0],
    scope: TenantScope,
    later?: { seen?: () => void },
  ) => {
    const key = `${scope.userId}|${scope.tenantId}|${scope.policyVersion}`;
    if (accessSeen.has(key)) return [];
    const ev = await firstGrantAccess(tx, scope.userId, scope.tenantId, now());
    const seen = () => {
      accessSeen.add(key);
      if (accessSeen.size > 50_000) accessSeen.clear();
    };
    if (later) later.seen = seen;
    else seen();
    return ev ? [ev] : [];
  };

  app.addHook('onReady', async () => {
    await keys();
    // Resume webhook deliveries left pending by an earlier run.
    dispatcher?.kick();
  });
  app.addHook('onClose', async () => {
    await dispatcher?.stop();
  });
  app.addHook('preClose', (done) => {
    streams.closing = true;
    for (const end of [...streams]) end();
    done();
  });
  // A request still being answered when shutdown begins ends its connection with its answer:
  // kept alive, the socket would go idle only after Node closed the idle ones, and hold the
  // shutdown for the keep-alive timeout (72 s).
  app.addHook('onSend', (_req, reply, _payload, done) => {
    if (streams.closing) void reply.header('connection', 'close');
    done();
  });

  // Per address, before any work (the health probe of a load balancer is not counted).
  app.addHook('onRequest', (req, _reply, done) => {
    const url = req.url.split('?')[0] ?? '';
    const counted = url !== '/api/health' && (url === '/api' || url.startsWith('/api/'));
    const wait = counted ? perIp.hit(req.ip) : 0;
    done(wait > 0 ? tooMany(wait, 'requests from this address') : undefined);
  });

  // Node's requestTimeout cuts off slow headers, but not a body trickled in after them: a request
  // whose body is still incomplete when the timeout ends gets a 408 and loses its connection.
  if (requestTimeout > 0)
    app.addHook('onRequest', (req, reply, done) => {
      if (!req.raw.complete) {
        const timer = setTimeout(() => {
          if (req.raw.complete || reply.sent || reply.raw.headersSent) return;
          const json = JSON.stringify(errorBody('request_timeout', 'the request was not received in time'));
          const socket = req.raw.socket;
          reply.raw.writeHead(408, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(json),
            connection: 'close',
          });
          reply.raw.end(json, () => socket.destroy());
        }, requestTimeout);
        timer.unref();
        const clear = (): void => clearTimeout(timer);
        req.raw.once('end', clear);
        req.raw.once('close', clear);
      }
      done();
    });

  // Before any handler, for every route: text the database cannot store unchanged, and nesting
  // deep enough to overflow recursive code (hashing, the reply serializer), is refused.
  app.addHook('preHandler', (req, _reply, done) => {
    try {
      assertSaneInput(req);
      done();
    } catch (e) {
      done(e as HttpError);
    }
  });

  void app.register(cors, { origin: opts.corsOrigins ?? ['app://bulkhead'] });

  app.setErrorHandler((err: FastifyError | HttpError | ZodError | Error, req, reply: FastifyReply) => {
    if (err instanceof HttpError) {
      if (err.status === 429)
        void reply.header('retry-after', typeof err.details === 'number' ? String(err.details) : '60');
      // The database is away (restart, failover): tell clients when to try again.
      if (err.status === 503) void reply.header('retry-after', '2');
      return reply.status(err.status).send(errorBody(err.code, err.message));
    }
    if (err instanceof ZodError) {
      return reply
        .status(400)
        .send(errorBody('invalid_request', err.issues.map((i) => i.message).join('; ')));
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status === 413)
      return reply.status(413).send(errorBody('payload_too_large', 'request body is too large'));
    if (status >= 400 && status < 500) {
      const code = 'code' in err && typeof err.code === 'string' ? err.code : 'bad_request';
      return reply.status(status).send(errorBody(code, err.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send(errorBody('internal', 'internal server error'));
  });

  const staticDir =
    opts.staticDir && existsSync(path.join(opts.staticDir, 'index.html')) ? opts.staticDir : undefined;
  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0] ?? '';
    if (staticDir && req.method === 'GET' && url !== '/api' && !url.startsWith('/api/')) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply.status(404).send(errorBody('not_found', `no route ${req.method} ${url}`));
  });
  if (staticDir) void app.register(fastifyStatic, { root: path.resolve(staticDir), prefix: '/' });
  if (opts.updatesDir) registerUpdateFeed(app, { dir: opts.updatesDir });

  app.get('/api/health', async (_req, reply) => {
    try {
      await sql`SELECT 1`.execute(db.app);
      return { ok: true, db: db.kind };
    } catch {
      return reply.status(503).send(errorBody('db_unavailable', 'database is unreachable'));
    }
  });

  // --- auth ---
  app.post('/api/auth/login', async (req) => {
    limitLogin(req.ip);
    const body = parseOr400(LoginRequest, req.body, 'login body');
    const key = body.username.toLowerCase();
    const wait = throttle.blockedFor(key);
    if (wait > 0)
      throw new HttpError(429, 'too_many_attempts', 'too many failed sign-ins; try again later', wait);
    try {
      const res = await login(deps, body);
      throttle.succeed(key);
      return res;
    } catch (e) {
      if (e instanceof HttpError && e.status === 401) throttle.fail(key);
      throw e;
    }
  });
  app.post('/api/auth/refresh', async (req) => {
    const body = parseOr400(RefreshRequest, req.body, 'refresh body');
    return refresh(deps, body.refreshToken);
  });
  app.post('/api/auth/logout', async (req, reply) => {
    const body = parseOr400(RefreshRequest, req.body, 'logout body');
    await logout(deps, body.refreshToken);
    return reply.status(204).send();
  });
  // Online co-sign: the second person signs with their own credentials on the same PC; only a
  // signature leaves the server, never the key. Throttled like login.
  app.post('/api/auth/cosign', async (req): Promise<CosignResponse> => {
    limitLogin(req.ip);
    const body = parseOr400(CosignRequest, req.body, 'co-sign body');
    const key = body.username.toLowerCase();
    const wait = throttle.blockedFor(key);
    if (wait > 0)
      throw new HttpError(429, 'too_many_attempts', 'too many failed sign-ins; try again later', wait);
    let user;
    try {
      user = await checkPassword(deps, body.username, body.password);
      throttle.succeed(key);
    } catch (e) {
      if (e instanceof HttpError && e.status === 401) throttle.fail(key);
      throw e;
    }
    const cosignerId = user.id;
    const mayCosign = await withAppTransaction(db, async (tx) => {
      const m = await tx
        .selectFrom('memberships')
        .select('role')
        .where('user_id', '=', cosignerId)
        .where('tenant_id', '=', body.message.tenantId)
        .where(membershipValidAt(new Date(body.message.at)))
        .executeTakeFirst();
      const role = m ? RoleSchema.safeParse(m.role) : null;
      return role?.success === true && roleCan(role.data, 'cosign');
    });
    if (!mayCosign) throw new HttpError(403, 'not_a_cosigner', 'this user may not co-sign in that tenant');
    const message = cosignMessage(body.message);
    const signature = createHmac('sha256', cosignKey(await keys(), cosignerId))
      .update(message)
      .digest('hex');
    return { signature, cosignerId };
  });
  app.get('/api/auth/offline-key', async () => (await keys()).ticketPublicJwk);
  app.get('/api/me', async (req) => {
    const auth = await authenticate(deps, req.headers.authorization);
    return me(deps, auth.userId);
  });

  // --- sync ---
  /**
   * A read of one tenant's sync data (pull, the stale check): in the user's tenant scope, the
   * first access through a grant noted and its alerts raised once the transaction committed.
   */
  const syncRead = async <T>(
    userId: string,
    tenant: string,
    read: (tx: Parameters<Parameters<typeof withTenantScope>[3]>[0], scope: TenantScope) => Promise<T>,
  ): Promise<T> => {
    let alerts: Alert[] = [];
    const res = await withTenantScope(
      db,
      userId,
      tenant,
      async (tx, scope) => {
        const first = await noteAccess(tx, scope);
        if (first.length > 0)
          alerts = await recordActivity(tx, tenant, scope.policy.settings, first, now(), webhook);
        return read(tx, scope);
      },
      { at: at() },
    );
    raised(alerts);
    return res;
  };
  app.get('/api/t/:tenant/sync/stream', async (req, reply) => {
    const tenant = tenantParam(req);
    await openStream({ ...deps, hub, streams, heartbeatMs: opts.heartbeatMs }, req, reply, tenant);
  });
  app.get('/api/t/:tenant/sync/:collection/pull', async (req) => {
    const auth = await authenticate(deps, req.headers.authorization);
    const tenant = tenantParam(req);
    const collection = parseOr400(
      SyncCollection,
      (req.params as { collection?: unknown }).collection,
      'collection',
    );
    const q = parseOr400(PullQuery, req.query, 'query');
    return syncRead(auth.userId, tenant, (tx, scope) =>
      pull(tx, scope, collection, q.checkpoint, q.limit, now(), q.base),
    );
  });
  // Issue #7: a PC asks which of its copies the server holds newer (a safety net for a copy that
  // went stale while its pull checkpoint moved on). Scoped, noted and projected as pull is.
  app.post('/api/t/:tenant/sync/:collection/stale', async (req) => {
    const auth = await authenticate(deps, req.headers.authorization);
    const tenant = tenantParam(req);
    const collection = parseOr400(
      StaleCollection,
      (req.params as { collection?: unknown }).collection,
      'collection',
    );
    const body = parseOr400(StaleRequest, req.body, 'stale body');
    return syncRead(auth.userId, tenant, (tx, scope) => stale(tx, scope, collection, body.versions));
  });
  app.post('/api/t/:tenant/sync/:collection/push', async (req) => {
    // Performance: the session is checked inside the push's own transaction, in the scope's first
    // statement (see `session` below), not in a transaction of its own before it.
    const auth = await verifyAccessToken(deps, req.headers.authorization);
    let tenant: string;
    let collection: SyncCollection;
    let body: PushRequest;
    try {
      tenant = tenantParam(req);
      collection = parseOr400(
        SyncCollection,
        (req.params as { collection?: unknown }).collection,
        'collection',
      );
      body = parseOr400(PushRequest, req.body, 'push body');
    } catch (e) {
      // A bad request of a session that has ended is a 401 first, as on every other route.
      if (!(await isSessionLive(deps, auth.sessionId, auth.userId)))
        throw new HttpError(401, 'unauthenticated', 'session has ended');
      throw e;
    }
    const auditDeps = { cosignKey: async (userId: string) => cosignKey(await keys(), userId) };
    let alerts: Alert[] = [];
    const access: { seen?: () => void } = {};
    const out = await withTenantScope(
      db,
      auth.userId,
      tenant,
      async (tx, scope) => {
        const t = now();
        const first = await noteAccess(tx, scope, access);
        // Every accepted and rejected change feeds the anomaly rules, in the same transaction: in
        // the push's last statement when it can (performance), else recorded here after it.
        const result = await push(tx, scope, collection, body, t, auth.deviceId, auditDeps, {
          settings: scope.policy.settings,
          events: first,
          webhook,
        });
        alerts =
          result.alerts ??
          (await recordActivity(
            tx,
            tenant,
            scope.policy.settings,
            [...first, ...result.activity],
            t,
            webhook,
          ));
        return result;
      },
      { at: at(), session: { id: auth.sessionId, now: now() }, lockCounter: true },
    );
    access.seen?.();
    raised(alerts);
    return out.response;
  });

  // --- grants, administration, reports, exports, audit ---
  registerGrantRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerReportRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerAlertRoutes(app, ctx, { webhook, raised });
  registerLocationRoutes(app, ctx);

  return app;
}
