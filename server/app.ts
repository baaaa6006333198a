import { existsSync } from 'node:fs';
import path from 'node:path';
import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { sql } from 'kysely';
import { ZodError } from 'zod';
import { LoginRequest, RefreshRequest } from '../shared/api/auth.js';
import { PullQuery, PushRequest, SyncCollection } from '../shared/sync/protocol.js';
import type { ServerKeys } from './auth/keys.js';
import { loadServerKeys } from './auth/keys.js';
import type { AuthDeps } from './auth/service.js';
import { authenticate, login, logout, me, refresh } from './auth/service.js';
import { LoginThrottle } from './auth/throttle.js';
import { withTenantScope } from './db/scope.js';
import type { Database } from './db/types.js';
import { registerAdminRoutes } from './http/admin.js';
import type { RouteContext } from './http/common.js';
import { parseOr400, tenantParam } from './http/common.js';
import { errorBody, HttpError } from './http/errors.js';
import { registerGrantRoutes } from './http/grants.js';
import { registerReportRoutes } from './http/reports.js';
import { ChangeHub } from './sync/hub.js';
import { pull, push } from './sync/service.js';
import type { StreamRegistry } from './sync/stream.js';
import { openStream } from './sync/stream.js';
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
};

export const BODY_LIMIT = 1024 * 1024;

/** Every route as Fastify registered it, per server (the scope-guard test drives them all). */
export type RouteEntry = { method: string; url: string };
export const ROUTE_TABLE = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Builds the HTTP server (not listening). Routes are the contract in ACCESS-AND-SYNC.md. */
export function buildServer(opts: BuildServerOptions): FastifyInstance {
  const { db } = opts;
  const now = opts.now ?? (() => new Date());
  const injected = opts.now;
  const at = (): Date | undefined => injected?.();
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // Stream responses are ended in preClose; anything else idle may be dropped on shutdown.
    forceCloseConnections: 'idle',
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
  const deps: AuthDeps = { db, now, keys, at };
  const throttle = new LoginThrottle(now);
  const hub = new ChangeHub(db);
  const streams: StreamRegistry = new Set();
  const ctx: RouteContext = { ...deps, hub };

  app.addHook('onReady', async () => {
    await keys();
  });
  app.addHook('preClose', (done) => {
    for (const end of [...streams]) end();
    done();
  });

  void app.register(cors, { origin: opts.corsOrigins ?? ['app://bulkhead'] });

  app.setErrorHandler((err: FastifyError | HttpError | ZodError | Error, req, reply: FastifyReply) => {
    if (err instanceof HttpError) {
      if (err.status === 429)
        void reply.header('retry-after', typeof err.details === 'number' ? String(err.details) : '60');
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
  app.get('/api/auth/offline-key', async () => (await keys()).ticketPublicJwk);
  app.get('/api/me', async (req) => {
    const auth = await authenticate(deps, req.headers.authorization);
    return me(deps, auth.userId);
  });

  // --- sync ---
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
    return withTenantScope(
      db,
      auth.userId,
      tenant,
      (tx, scope) => pull(tx, scope, collection, q.checkpoint, q.limit),
      { at: at() },
    );
  });
  app.post('/api/t/:tenant/sync/:collection/push', async (req) => {
    const auth = await authenticate(deps, req.headers.authorization);
    const tenant = tenantParam(req);
    const collection = parseOr400(
      SyncCollection,
      (req.params as { collection?: unknown }).collection,
      'collection',
    );
    const body = parseOr400(PushRequest, req.body, 'push body');
    const out = await withTenantScope(
      db,
      auth.userId,
      tenant,
      (tx, scope) => push(tx, scope, collection, body, now(), auth.deviceId),
      { at: at() },
    );
    return out.response;
  });

  // --- grants, administration, reports, exports, audit ---
  registerGrantRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerReportRoutes(app, ctx);

  return app;
}
