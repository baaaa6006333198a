import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.js';
import { createPgliteDatabase, createPostgresDatabase } from './db/connect.js';
import { migrate } from './db/migrations.js';
import { seed } from './db/seed.js';
import type { Database } from './db/types.js';
import type { WebhookConfig } from './alerts/service.js';
import type { RateLimits } from './auth/rate-limit.js';
import { rateLimitsFromEnv } from './auth/rate-limit.js';

export type StartOptions = {
  /** PostgreSQL owner URL; without it, embedded PGlite. */
  databaseUrl?: string;
  /** URL the app connects with (as bulkhead_app); derived from databaseUrl by default. */
  appDatabaseUrl?: string;
  /** PGlite data directory; `null` keeps the database in memory. */
  dataDir?: string | null;
  port?: number;
  host?: string;
  /** Seed demo data on an empty database; `false` never. */
  seed?: boolean | { itemsPerTenant: number };
  staticDir?: string;
  /** Update feed folder served at `/updates/` (BULKHEAD_UPDATES_DIR). */
  updatesDir?: string;
  logger?: boolean | object;
  now?: () => Date;
  jwtSecret?: Uint8Array;
  corsOrigins?: string[];
  heartbeatMs?: number;
  /** Outbound alert webhook; none when absent. */
  alertWebhook?: WebhookConfig | null;
  /** Request rate limits (BULKHEAD_RATE_*), body size limit (BULKHEAD_BODY_LIMIT), request timeout. */
  rateLimits?: Partial<RateLimits>;
  bodyLimit?: number;
  requestTimeoutMs?: number;
  /** Proxies whose X-Forwarded-For is believed (BULKHEAD_TRUST_PROXY: `true` or addresses/CIDRs). */
  trustProxy?: boolean | string;
  /** Print the "ready" line to stdout (the CLI does; tests do not). */
  announce?: boolean;
};

export type StartedServer = { url: string; db: Database; app: FastifyInstance; close(): Promise<void> };

/** Opens the database, migrates, seeds if asked, and listens. */
export async function startServer(opts: StartOptions = {}): Promise<StartedServer> {
  const db: Database = opts.databaseUrl
    ? createPostgresDatabase({ url: opts.databaseUrl, appUrl: opts.appDatabaseUrl })
    : await createPgliteDatabase(opts.dataDir === null ? undefined : (opts.dataDir ?? './.data/pglite'));
  let app: FastifyInstance | undefined;
  try {
    await migrate(db.owner);
    if (opts.seed !== false && opts.seed !== undefined) {
      await seed(db.owner, typeof opts.seed === 'object' ? { itemsPerTenant: opts.seed.itemsPerTenant } : {});
    }
    app = buildServer({
      db,
      logger: opts.logger,
      now: opts.now,
      jwtSecret: opts.jwtSecret,
      staticDir: opts.staticDir,
      updatesDir: opts.updatesDir,
      corsOrigins: opts.corsOrigins,
      heartbeatMs: opts.heartbeatMs,
      alertWebhook: opts.alertWebhook,
      rateLimits: opts.rateLimits,
      bodyLimit: opts.bodyLimit,
      requestTimeoutMs: opts.requestTimeoutMs,
      trustProxy: opts.trustProxy,
    });
    const host = opts.host ?? '127.0.0.1';
    await app.listen({ port: opts.port ?? 8787, host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 8787);
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (opts.announce) process.stdout.write(`Bulkhead server ready at ${url}\n`);
    const started = app;
    let closing: Promise<void> | null = null;
    return {
      url,
      db,
      app: started,
      close: () =>
        (closing ??= (async () => {
          await started.close();
          await db.close();
        })()),
    };
  } catch (e) {
    await app?.close().catch(() => {});
    await db.close().catch(() => {});
    throw e;
  }
}

/** Settings from the environment, as documented for `npm run server`. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): StartOptions {
  const production = env.NODE_ENV === 'production';
  const staticDir = path.resolve(env.STATIC_DIR ?? 'dist/renderer');
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    appDatabaseUrl: env.APP_DATABASE_URL || undefined,
    dataDir: env.DATA_DIR ?? './.data/pglite',
    port: env.PORT ? Number(env.PORT) : 8787,
    host: env.HOST ?? '127.0.0.1',
    seed: !(production || env.BULKHEAD_NO_SEED === '1'),
    staticDir,
    updatesDir: env.BULKHEAD_UPDATES_DIR || undefined,
    logger: { level: env.LOG_LEVEL ?? 'warn' },
    corsOrigins: env.CORS_ORIGINS ? env.CORS_ORIGINS.split(',').map((s) => s.trim()) : undefined,
    alertWebhook: webhookFromEnv(env),
    rateLimits: rateLimitsFromEnv(env),
    bodyLimit: env.BULKHEAD_BODY_LIMIT ? Number(env.BULKHEAD_BODY_LIMIT) : undefined,
    trustProxy: trustProxyFromEnv(env.BULKHEAD_TRUST_PROXY),
    announce: true,
  };
}

/** BULKHEAD_TRUST_PROXY: `true`, or a comma-separated list of proxy addresses/CIDRs. */
function trustProxyFromEnv(raw: string | undefined): boolean | string | undefined {
  if (!raw) return undefined;
  return raw === 'true' || raw === 'false' ? raw === 'true' : raw;
}

/** The alert webhook from the environment; a URL without a signing secret is refused. */
function webhookFromEnv(env: NodeJS.ProcessEnv): WebhookConfig | null {
  const url = env.BULKHEAD_ALERT_WEBHOOK_URL;
  if (!url) return null;
  const secret = env.BULKHEAD_ALERT_WEBHOOK_SECRET;
  if (!secret) throw new Error('BULKHEAD_ALERT_WEBHOOK_URL is set but BULKHEAD_ALERT_WEBHOOK_SECRET is not');
  return { url, secret };
}
