/**
 * Fuzz cases for every route Fastify registered: auth mutations, tenant and id forgery, body
 * mutations derived from the route's zod schema, odd queries and path parameters. A route that
 * is not described in ROUTE_INPUTS (a new one) is still fuzzed with the generic cases.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import type { z } from 'zod';
import { LoginRequest, RefreshRequest } from '../../../shared/api/auth.js';
import { AlertsQuery, LocalAlertsBody } from '../../../shared/api/alerts.js';
import { AuditChainQuery, AuditQuery, AuditRecordBody } from '../../../shared/api/audit.js';
import { GrantDecisionBody, GrantRequestBody, MemberUpdateBody } from '../../../shared/api/grants.js';
import { PolicyUpdateBody } from '../../../shared/api/policy.js';
import { CrossTenantQuery, ExportQuery } from '../../../shared/api/reports.js';
import {
  LocationCreateBody,
  LocationUpdateBody,
  WarehouseCreateBody,
  WarehouseUpdateBody,
} from '../../../shared/api/sites.js';
import { ClientAuditEntry } from '../../../shared/audit/entry.js';
import { CosignRequest } from '../../../shared/audit/cosign-sign.js';
import { DOC_SCHEMAS, PullQuery, PushRequest, StaleRequest } from '../../../shared/sync/protocol.js';
import { stableUuid } from '../../../server/db/seed.js';
import type { RouteEntry } from '../../../server/app.js';
import type { Expect } from './oracle.js';
import type { RawBody } from './zod-arb.js';
import { arbFromSchema, deepJson, fuzzString, invalidBody, UNICODE_EDGES } from './zod-arb.js';

/** One fuzz request. */
export type FuzzCase = {
  route: string;
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: RawBody;
  expect: Expect;
  /** Number of distinct documents a push case sends (each must be rejected). */
  pushed: number;
};

/** Identities and ids the cases forge with. */
export type FuzzWorld = {
  jwtSecret: Uint8Array;
  /** admin.acme: a member with every right in `acme`, so validation is reached. */
  adminToken: string;
  adminId: string;
  /** op.initech: a valid session, but no membership in `acme` or `globex`. */
  nonMemberToken: string;
  /** A session that was logged out. */
  deadSessionToken: string;
  /** Users that are not members of `acme` (forged member ids). */
  foreignUserIds: string[];
  /** Item ids of `globex` (forged ids from another tenant). */
  foreignItemIds: string[];
  /** Site data that exists: a warehouse with active locations, locations, one holding stock. */
  site: SiteWorld;
};

/** The site's warehouses and locations as seeded (site routes are reached with real ids). */
export type SiteWorld = {
  /** An active warehouse that still has active locations (its deactivation must be refused). */
  warehouseId: string;
  /** Active locations: [0] holds no stock, the rest are codes/barcodes to clash with. */
  locations: SiteLoc[];
  /** An active location that holds stock (its deactivation must be refused). */
  stocked: SiteLoc;
};

type SiteLoc = { id: string; barcode: string; kind: string };

const PUBLIC_ROUTES = new Set([
  'GET /api/health',
  'HEAD /api/health',
  'POST /api/auth/login',
  'POST /api/auth/refresh',
  'POST /api/auth/logout',
  'POST /api/auth/cosign',
  'GET /api/auth/offline-key',
  'HEAD /api/auth/offline-key',
]);

/** Routes that need no token (the update feed and the public auth routes). */
export const isPublic = (r: RouteEntry): boolean =>
  PUBLIC_ROUTES.has(`${r.method} ${r.url}`) || r.url.startsWith('/updates');

/** The known inputs of a route: its body and query schemas. */
type RouteInput = { body?: z.ZodType; query?: z.ZodType };

const ROUTE_INPUTS: Record<string, RouteInput> = {
  'POST /api/auth/login': { body: LoginRequest },
  'POST /api/auth/refresh': { body: RefreshRequest },
  'POST /api/auth/logout': { body: RefreshRequest },
  'POST /api/auth/cosign': { body: CosignRequest },
  'GET /api/t/:tenant/sync/:collection/pull': { query: PullQuery },
  'POST /api/t/:tenant/sync/:collection/push': { body: PushRequest },
  'POST /api/t/:tenant/sync/:collection/stale': { body: StaleRequest },
  'POST /api/grants': { body: GrantRequestBody },
  'POST /api/grants/:id/approve': { body: GrantDecisionBody },
  'POST /api/grants/:id/reject': { body: GrantDecisionBody },
  'POST /api/grants/:id/revoke': { body: GrantDecisionBody },
  'PUT /api/t/:tenant/members/:userId': { body: MemberUpdateBody },
  'PUT /api/t/:tenant/policy': { body: PolicyUpdateBody },
  'GET /api/reports/:report': { query: CrossTenantQuery },
  'GET /api/t/:tenant/export/:report': { query: ExportQuery },
  'GET /api/t/:tenant/audit': { query: AuditQuery },
  'GET /api/t/:tenant/audit/chain': { query: AuditChainQuery },
  'POST /api/t/:tenant/audit': { body: AuditRecordBody },
  'GET /api/t/:tenant/alerts': { query: AlertsQuery },
  'POST /api/t/:tenant/alerts/local': { body: LocalAlertsBody },
  'POST /api/sites/warehouses': { body: WarehouseCreateBody },
  'PUT /api/sites/warehouses/:id': { body: WarehouseUpdateBody },
  'POST /api/sites/locations': { body: LocationCreateBody },
  'PUT /api/sites/locations/:id': { body: LocationUpdateBody },
};

/** Site write routes: fuzzed with twice the weight of other routes (they are new; the total stays). */
export const SITE_WRITE_ROUTES = new Set(
  Object.keys(ROUTE_INPUTS).filter((k) => / \/api\/sites\//.test(k) && !k.startsWith('GET ')),
);

/** The :id a site route is reached with by default: a real one, so its body is what gets checked. */
function siteId(url: string, w: FuzzWorld): string | undefined {
  if (url === '/api/sites/warehouses/:id') return w.site.warehouseId;
  if (url === '/api/sites/locations/:id') return w.site.locations[0]?.id;
  return undefined;
}

const enc = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    // A lone surrogate cannot be percent-encoded as UTF-8; send its raw escape instead.
    return s.replace(
      /[^\w.-]/gu,
      (ch) => `%${(ch.codePointAt(0) ?? 0).toString(16).padStart(2, '0').slice(-2)}`,
    );
  }
};

/** The route's URL with its parameters filled (defaults: a valid path for admin.acme). */
export function fillPath(url: string, over: Record<string, string> = {}): string {
  return (
    url
      .replace(':tenant', over.tenant ?? 'acme')
      // The stale check takes orders and receipts only: its default path must reach the body check.
      .replace(':collection', over.collection ?? (url.endsWith('/stale') ? 'orders' : 'items'))
      .replace(':report', over.report ?? 'inventory')
      .replace(':userId', over.userId ?? 'u-fin.acme')
      .replace(':id', over.id ?? randomUUID())
      .replace(/\*$/, over.wildcard ?? 'latest.yml')
  );
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Bearer headers that must all be refused: alg none, expired, wrong key, forged claims, garbage. */
export async function badAuthHeaders(w: FuzzWorld): Promise<{ label: string; header: string | undefined }[]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: w.adminId, sid: 'whatever', device: 'd' };
  const sign = (payload: Record<string, unknown>, key: Uint8Array, alg = 'HS256', exp = now + 600) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg })
      .setIssuedAt(now - 10)
      .setExpirationTime(exp)
      .sign(key);
  const otherKey = new Uint8Array(32).fill(7);
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: now + 600 })}.`;
  // A valid admin token with its signature cut off / re-encoded claims (privilege swap).
  const [h, , s] = w.adminToken.split('.');
  const swapped = `${h}.${b64({ sub: 'u-mgr', sid: 'x', device: 'd', exp: now + 600 })}.${s}`;
  const out: { label: string; header: string | undefined }[] = [
    { label: 'no header', header: undefined },
    { label: 'empty', header: '' },
    { label: 'scheme only', header: 'Bearer' },
    { label: 'basic auth', header: 'Basic YWRtaW4uYWNtZTpkZW1vMTIzNA==' },
    { label: 'garbage', header: 'Bearer not-a-token' },
    { label: 'two tokens', header: `Bearer ${w.adminToken} ${w.adminToken}` },
    { label: 'alg none', header: `Bearer ${algNone}` },
    {
      label: 'alg none, upper',
      header: `Bearer ${b64({ alg: 'NONE' })}.${b64({ ...claims, exp: now + 600 })}.`,
    },
    { label: 'signature stripped', header: `Bearer ${w.adminToken.split('.').slice(0, 2).join('.')}.` },
    { label: 'claims swapped', header: `Bearer ${swapped}` },
    { label: 'wrong key', header: `Bearer ${await sign(claims, otherKey)}` },
    { label: 'HS512 right key', header: `Bearer ${await sign(claims, w.jwtSecret, 'HS512')}` },
    {
      label: 'expired',
      header: `Bearer ${await sign({ ...claims, sid: 'x' }, w.jwtSecret, 'HS256', now - 60)}`,
    },
    {
      label: 'unknown session',
      header: `Bearer ${await sign({ ...claims, sid: randomUUID() }, w.jwtSecret)}`,
    },
    { label: 'logged-out session', header: `Bearer ${w.deadSessionToken}` },
    { label: 'huge token', header: `Bearer ${'a'.repeat(12_000)}` },
    { label: 'missing claims', header: `Bearer ${await sign({}, w.jwtSecret)}` },
    { label: 'numeric claims', header: `Bearer ${await sign({ sub: 1, sid: 2, device: 3 }, w.jwtSecret)}` },
  ];
  // Right key, hostile claims: they reach the session lookup, so they must not break it.
  for (const u of UNICODE_EDGES.slice(0, 12))
    out.push({
      label: `forged claims ${JSON.stringify(u)}`,
      header: `Bearer ${await sign({ sub: u, sid: u, device: u }, w.jwtSecret)}`,
    });
  return out;
}

const TENANT_FORGERIES = [
  'globex',
  'initech',
  'no-such-tenant',
  'ACME',
  'a',
  '-acme',
  'acme-',
  '..',
  '%2e%2e',
  '..%2f..%2fetc',
  'acme%00',
  '%00',
  'ac%20me',
  encodeURIComponent('acmé'),
  encodeURIComponent('ａｃｍｅ'),
  encodeURIComponent('\u202Eemca'),
  'x'.repeat(33),
  'x'.repeat(200),
  '%',
  '%zz',
  '%ED%A0%80',
  '%C0%AE%C0%AE',
];

const PARAM_FORGERIES = [
  '..',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%00',
  'a%00b',
  '%',
  '%zz',
  '%ED%A0%80',
  '%F0%9F%98%80',
  encodeURIComponent('\u202E'),
  'x'.repeat(150),
  '-1',
  '0',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'ITEMS',
  'audit',
  'users',
  'memberships',
  "1'%20OR%20'1'%3D'1",
];

const text = fuzzString(60);

/** The arbitraries of one route; `world` supplies the identities and ids to forge with. */
export function routeCases(
  r: RouteEntry,
  w: FuzzWorld,
  badAuth: { label: string; header: string | undefined }[],
): fc.Arbitrary<FuzzCase>[] {
  const key = `${r.method} ${r.url}`;
  const input = ROUTE_INPUTS[key] ?? {};
  const hasBody = r.method !== 'GET' && r.method !== 'HEAD' && r.method !== 'DELETE';
  const stream = r.url.endsWith('/sync/stream');
  const admin = { authorization: `Bearer ${w.adminToken}` };
  const base = { route: key, method: r.method, pushed: 0 };
  const shapedArb = input.body ? shaped(key, input.body, w) : null;
  const realId = siteId(r.url, w);
  const pathOf = (): string => (realId === undefined ? fillPath(r.url) : fillPath(r.url, { id: realId }));
  const bodyArb: fc.Arbitrary<RawBody | undefined> = !hasBody
    ? fc.constant(undefined)
    : shapedArb
      ? shapedArb.map((v) => ({
          text: JSON.stringify(v),
          contentType: 'application/json',
          mutation: 'valid-shape',
        }))
      : fc.constant({ text: '{}', contentType: 'application/json', mutation: 'empty-object' });
  const out: fc.Arbitrary<FuzzCase>[] = [];

  // 1. Every bad token on every route that needs one: 401, whatever the body.
  if (!isPublic(r))
    out.push(
      fc.tuple(fc.constantFrom(...badAuth), bodyArb).map(([a, body]): FuzzCase => ({
        ...base,
        kind: `auth:${a.label}`,
        url: pathOf(),
        headers: a.header === undefined ? {} : { authorization: a.header },
        body,
        expect: 'unauthenticated' as const,
      })),
    );

  // 2. Other tenants' slugs, invalid slugs and traversal in :tenant; a valid token without membership.
  if (r.url.includes(':tenant'))
    out.push(
      fc
        .tuple(fc.constantFrom(...TENANT_FORGERIES), bodyArb, fc.boolean())
        .map(([tenant, body, nonMember]) => ({
          ...base,
          kind: nonMember ? 'tenant:non-member' : `tenant:${tenant.slice(0, 20)}`,
          url: fillPath(r.url, { tenant: nonMember ? 'acme' : tenant }),
          headers: { authorization: `Bearer ${nonMember ? w.nonMemberToken : w.adminToken}` },
          body,
          expect: 'client-error' as const,
        })),
    );

  if (stream) return out;

  // 3. Other path parameters: traversal, encodings, ids of nothing.
  const params = ['collection', 'report', 'id', 'userId'].filter((p) => r.url.includes(`:${p}`));
  if (r.url.endsWith('*')) params.push('wildcard');
  for (const p of params)
    out.push(
      fc
        .tuple(
          fc.constantFrom(
            ...PARAM_FORGERIES,
            ...w.foreignUserIds,
            randomUUID(),
            // Site codes: other tenants' ids and names, case and space variants of real codes.
            ...(r.url.startsWith('/api/sites/')
              ? [...w.foreignItemIds, 'GLOBEX', 'ACME', 'ZZ-MISSING', 'wh1', 'WH1%20', 'rcv-01', 'RCV-01%00']
              : []),
          ),
          bodyArb,
        )
        .map(([v, body]) => ({
          ...base,
          kind: `param:${p}`,
          url: fillPath(r.url, { [p]: v }),
          headers: isPublic(r) ? {} : admin,
          body,
          expect:
            r.method === 'GET' && p === 'wildcard' && v === 'latest.yml'
              ? ('read' as const)
              : ('client-error' as const),
        })),
    );

  // 4. Bodies the route's schema must refuse (or garbage, for routes without a known schema).
  if (hasBody) {
    const bodies: fc.Arbitrary<RawBody> =
      input.body && shapedArb
        ? shapedArb.chain((v) => invalidBody(input.body as z.ZodType, v))
        : invalidBody(PushRequest.shape.changes, []);
    out.push(
      bodies.map((body) => ({
        ...base,
        kind: `body:${body.mutation.split(':')[0] ?? body.mutation}`,
        url: pathOf(),
        headers: isPublic(r) ? {} : admin,
        body,
        // A push whose body still parses answers its rejections (never applied) instead.
        expect: key.endsWith('/push') ? ('push' as const) : ('client-error' as const),
      })),
    );
  }

  // 5. Queries: valid shapes with odd text (reads may answer 200), unknown keys, broken encodings.
  if (r.method === 'GET' || r.method === 'HEAD') {
    // A successful export is audited (a legitimate change), so only refused exports are fuzzed here.
    const audited = r.url.includes('/export/');
    const shapedQuery = (
      input.query
        ? arbFromSchema(input.query, text)
        : fc.dictionary(fc.string({ maxLength: 8 }), text, { maxKeys: 3 })
    ).map((v) => ({
      q: new URLSearchParams(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)] as [string, string]),
      ).toString(),
      expect: 'read' as const,
      kind: 'query:shaped',
    }));
    const rawQuery = fc
      .constantFrom(
        '%',
        '%zz=1',
        'limit=%ED%A0%80',
        'limit=-1',
        'limit=1e999',
        'limit=0x10',
        'limit=1&limit=2',
        'limit[]=1',
        'limit[a]=1',
        `limit=${'9'.repeat(400)}`,
        'checkpoint=-5',
        'checkpoint=NaN',
        'before=0',
        'from=yesterday',
        'actor=%00',
        'entityId=%00',
        'tenants=acme,globex,initech,..',
        'tenants=',
        'format=xlsx%00',
        '__proto__[x]=1',
        'constructor=1',
        `${'k'.repeat(2000)}=1`,
      )
      .map((q) => ({
        q,
        expect: audited ? ('client-error' as const) : ('read' as const),
        kind: 'query:raw',
      }));
    const qArb: fc.Arbitrary<{ q: string; expect: Expect; kind: string }> = audited
      ? rawQuery
      : fc.oneof(shapedQuery, rawQuery);
    if (input.query)
      out.push(
        fc
          .tuple(fc.constantFrom('zz', 'tenant', 'tenant_id', 'role', '\u0000', 'x y'), text)
          .map(([k, v]) => ({
            ...base,
            kind: 'query:extra-key',
            url: `${fillPath(r.url)}?${new URLSearchParams([[k, v]]).toString()}`,
            headers: isPublic(r) ? {} : admin,
            expect: 'client-error' as const,
          })),
      );
    out.push(
      qArb.map(({ q, expect, kind }) => ({
        ...base,
        kind,
        url: `${fillPath(r.url)}?${q}`,
        headers: isPublic(r) ? {} : admin,
        expect,
      })),
    );
  }

  // 6. Valid shapes with forged references: they pass validation and must still change nothing.
  const forged = forgedCases(key, r, w);
  if (forged) out.push(forged);
  return out;
}

/**
 * Schema-shaped bodies made harmless: should a mutation happen to leave one valid, it still
 * names a missing tenant, someone else as the actor, a stale version — it can never apply.
 */
function shaped(key: string, schema: z.ZodType, w: FuzzWorld): fc.Arbitrary<unknown> {
  const base = arbFromSchema(schema, text);
  const other = w.foreignUserIds[0] ?? 'u-op.globex';
  switch (key) {
    case 'POST /api/grants':
      return base.map((b) => ({ ...(b as object), tenantId: 'zz-missing' }));
    case 'PUT /api/t/:tenant/policy':
      return base.map((b) => ({ ...(b as object), expectedVersion: 999_999 }));
    case 'POST /api/t/:tenant/sync/:collection/push':
      return base.map((b) => {
        const p = b as { changes: { newDocumentState: Record<string, unknown> }[]; audit?: unknown[] };
        return {
          ...p,
          changes: p.changes.map((c) => ({
            ...c,
            newDocumentState: { ...c.newDocumentState, tenantId: 'globex' },
          })),
        };
      });
    case 'POST /api/t/:tenant/audit':
      return base.map((b) => ({
        entries: (b as { entries: Record<string, unknown>[] }).entries.map((e) => ({ ...e, actorId: other })),
      }));
    case 'POST /api/t/:tenant/alerts/local':
      return base.map((b) => ({
        alerts: (b as { alerts: Record<string, unknown>[] }).alerts.map((a) => ({
          ...a,
          tenantId: 'acme',
          userId: other,
        })),
      }));
    case 'POST /api/auth/login':
    case 'POST /api/auth/cosign':
      return base.filter((b) => (b as { password?: string }).password !== 'demo1234');
    // Site bodies (admin.acme is a site admin, so a valid one would apply): each is refused by a
    // rule that no mutation can lift — a taken code, an unknown warehouse, an unconfirmed deactivation.
    case 'POST /api/sites/warehouses':
      return base.map((b) => ({ ...(b as object), id: w.site.warehouseId }));
    case 'PUT /api/sites/warehouses/:id':
    case 'PUT /api/sites/locations/:id':
      return base.map((b) => {
        const { confirmation: _c, ...rest } = b as { confirmation?: unknown };
        return { ...rest, active: false };
      });
    case 'POST /api/sites/locations':
      return fc
        .tuple(base, fc.constantFrom(...w.site.locations), fc.boolean())
        .map(([b, loc, taken]) =>
          taken
            ? { ...(b as object), warehouseId: w.site.warehouseId, id: loc.id, barcode: loc.barcode }
            : { ...(b as object), warehouseId: 'ZZ-MISSING' },
        );
    default:
      return base;
  }
}

const json = (v: unknown, mutation = 'forged'): RawBody => ({
  text: JSON.stringify(v),
  contentType: 'application/json',
  mutation,
});

/** Route-specific forgeries: other tenants' and users' ids, stale versions, unknown names. */
function forgedCases(key: string, r: RouteEntry, w: FuzzWorld): fc.Arbitrary<FuzzCase> | null {
  const admin = { authorization: `Bearer ${w.adminToken}` };
  const base = { route: key, method: r.method, pushed: 0, kind: 'forged' };
  const input = ROUTE_INPUTS[key];
  const other = fc.constantFrom(...w.foreignUserIds);
  switch (key) {
    case 'POST /api/auth/login':
    case 'POST /api/auth/cosign':
    case 'POST /api/auth/refresh':
      return arbFromSchema(input?.body as z.ZodType, text)
        .filter((b) => (b as { password?: string }).password !== 'demo1234')
        .map((b) => ({ ...base, url: r.url, headers: {}, body: json(b), expect: 'client-error' as const }));
    case 'POST /api/auth/logout':
      return arbFromSchema(RefreshRequest, text).map((b) => ({
        ...base,
        url: r.url,
        headers: {},
        body: json(b),
        expect: 'logout' as const,
      }));
    case 'POST /api/grants':
      // admin.acme asks for acme (already a member) or a tenant that does not exist.
      return fc
        .tuple(arbFromSchema(GrantRequestBody, text), fc.constantFrom('acme', 'zz-missing'))
        .map(([b, tenantId]) => ({
          ...base,
          url: r.url,
          headers: admin,
          body: json({ ...(b as object), tenantId }),
          expect: 'client-error' as const,
        }));
    case 'POST /api/grants/:id/approve':
    case 'POST /api/grants/:id/reject':
    case 'POST /api/grants/:id/revoke':
      return fc.tuple(fc.uuid({ version: 4 }), arbFromSchema(GrantDecisionBody, text)).map(([id, b]) => ({
        ...base,
        url: fillPath(r.url, { id }),
        headers: admin,
        body: json(b),
        expect: 'client-error' as const,
      }));
    case 'PUT /api/t/:tenant/members/:userId':
    case 'DELETE /api/t/:tenant/members/:userId':
      return fc
        .tuple(fc.oneof(other, fc.constant(w.adminId), text.map(enc)), arbFromSchema(MemberUpdateBody, text))
        .map(([userId, b]) => ({
          ...base,
          url: fillPath(r.url, { userId: enc(userId) }),
          headers: admin,
          body: r.method === 'PUT' ? json(b) : undefined,
          expect: 'client-error' as const,
        }));
    case 'PUT /api/t/:tenant/policy':
      return fc
        .tuple(arbFromSchema(PolicyUpdateBody, text), fc.integer({ min: 1000, max: 2 ** 31 - 1 }))
        .map(([b, v]) => ({
          ...base,
          url: fillPath(r.url),
          headers: admin,
          body: json({ ...(b as object), expectedVersion: v }),
          expect: 'client-error' as const,
        }));
    case 'POST /api/t/:tenant/sync/:collection/push':
      return fc
        .tuple(
          fc.constantFrom('items', 'movements', 'balances'),
          fc.constantFrom('wrong-tenant', 'foreign-id', 'foreign-actor', 'deep-extra'),
          fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 100, max: 20_000 }),
        )
        .chain(([collection, how, seeds, depth]) =>
          fc
            .tuple(
              fc.array(arbFromSchema(DOC_SCHEMAS[collection], text), {
                minLength: seeds.length,
                maxLength: seeds.length,
              }),
              fc.array(arbFromSchema(ClientAuditEntry, text), { minLength: 0, maxLength: 3 }),
              other,
            )
            .map(([docs, audit, otherId]) => {
              const changes = docs.map((d, i) => {
                const doc = { ...(d as Record<string, unknown>) };
                if (how === 'wrong-tenant') doc.tenantId = 'globex';
                else doc.tenantId = 'acme';
                if (how === 'foreign-id') doc.id = w.foreignItemIds[i % w.foreignItemIds.length];
                return { newDocumentState: doc, assumedMasterState: i % 2 === 0 ? null : doc };
              });
              // Audit entries name someone else (actor-mismatch) or are missing (audit-missing).
              const entries = (audit as Record<string, unknown>[]).map((a, i) => {
                const id = changes[i % changes.length]?.newDocumentState.id;
                return { ...a, actorId: otherId, entityId: typeof id === 'string' ? id : 'x' };
              });
              let textBody = JSON.stringify({ changes, audit: how === 'foreign-id' ? [] : entries });
              if (how === 'deep-extra')
                textBody = textBody.replace(
                  '"newDocumentState":{',
                  `"newDocumentState":{"deep":${deepJson(depth, 'object')},`,
                );
              const ids = new Set(changes.map((c) => String(c.newDocumentState.id)));
              return {
                ...base,
                kind: `forged:push-${how}`,
                url: fillPath(r.url, { collection }),
                headers: admin,
                body: { text: textBody, contentType: 'application/json', mutation: `forged-push-${how}` },
                expect: 'push' as const,
                pushed: ids.size,
              };
            }),
        );
    case 'POST /api/t/:tenant/sync/:collection/stale':
      // Valid bodies naming other tenants' documents, items and unknown ids, at version 0: the
      // answer must be empty (never reveal that they exist), whatever the collection asked.
      return fc
        .tuple(
          fc.constantFrom('orders', 'receipts'),
          fc.array(
            fc.tuple(
              fc.oneof(fc.constantFrom(...FOREIGN_FLOOR_IDS, ...w.foreignItemIds), fc.uuid({ version: 4 })),
              fc.nat({ max: 1000 }),
            ),
            { minLength: 1, maxLength: 20 },
          ),
        )
        .map(([collection, versions]) => ({
          ...base,
          kind: 'forged:stale-foreign',
          url: fillPath(r.url, { collection }),
          headers: admin,
          body: json({ versions }),
          expect: 'nothing-found' as const,
        }));
    case 'POST /api/t/:tenant/audit':
      return fc
        .tuple(
          arbFromSchema(AuditRecordBody, text),
          other,
          fc.integer({ min: 100, max: 20_000 }),
          fc.boolean(),
        )
        .map(([b, otherId, depth, deep]) => {
          const entries = (b as { entries: Record<string, unknown>[] }).entries.map((e) => ({
            ...e,
            actorId: otherId,
          }));
          let t = JSON.stringify({ entries });
          if (deep) t = t.replace('"actorId":', `"localVersion":${deepJson(depth, 'object')},"actorId":`);
          return {
            ...base,
            kind: deep ? 'forged:audit-deep' : 'forged:audit-actor',
            url: fillPath(r.url),
            headers: admin,
            body: { text: t, contentType: 'application/json', mutation: 'forged-audit' },
            expect: 'client-error' as const,
          };
        });
    case 'POST /api/t/:tenant/alerts/local':
      return fc
        .tuple(arbFromSchema(LocalAlertsBody, text), other, fc.boolean())
        .map(([b, otherId, wrongTenant]) => ({
          ...base,
          url: fillPath(r.url),
          headers: admin,
          body: json({
            alerts: (b as { alerts: Record<string, unknown>[] }).alerts.map((a) =>
              wrongTenant
                ? { ...a, tenantId: 'globex', userId: w.adminId }
                : { ...a, tenantId: 'acme', userId: otherId },
            ),
          }),
          expect: 'client-error' as const,
        }));
    case 'POST /api/sites/warehouses':
    case 'PUT /api/sites/warehouses/:id':
    case 'POST /api/sites/locations':
    case 'PUT /api/sites/locations/:id':
      return siteForgeries(key, r, w);
    case 'POST /api/t/:tenant/alerts/:id/ack':
      return fc.uuid({ version: 4 }).map((id) => ({
        ...base,
        url: fillPath(r.url, { id }),
        headers: admin,
        body: json({}),
        expect: 'client-error' as const,
      }));
    default:
      return null;
  }
}

/** Orders and inbound notices of the tenants admin.acme is no member of (seeded ids). */
const FOREIGN_FLOOR_IDS = ['globex', 'initech'].flatMap((t) => [
  stableUuid(`${t}/order/1`),
  stableUuid(`${t}/receipt/1`),
]);

const REASONS = ['fuzz: retire this one', '  搬迁到新仓库  ', 'moving out'];
/** Codes that exist nowhere: other tenants' slugs and names, upper-cased as codes must be. */
const UNKNOWN_CODES = ['GLOBEX', 'ACME', 'INITECH', 'ZZ-MISSING', 'WH2', '0'];

/**
 * Site admin forgeries. Every body is valid for its schema, so the refusal must come from the
 * rules behind it: no site-admin right (op.initech), unknown or other tenants' codes, codes and
 * barcodes a scan would confuse (case-insensitive), a wrong retyped code, deactivating a
 * warehouse with active locations or a location holding stock.
 */
function siteForgeries(key: string, r: RouteEntry, w: FuzzWorld): fc.Arbitrary<FuzzCase> {
  const site = w.site;
  const admin = { authorization: `Bearer ${w.adminToken}` };
  const nonAdmin = { authorization: `Bearer ${w.nonMemberToken}` };
  const fresh = fc.stringMatching(/^[A-Z0-9]{6}$/).map((x) => `FZ-${x}`);
  const name = fc.oneof(text, fc.constantFrom('Bin Z', '货架 9', '\u202Eevil'));
  const loc = fc.constantFrom(...site.locations);
  const other = fc.constantFrom(...site.locations.slice(1));
  const kind = fc.constantFrom('receiving', 'storage', 'staging', 'shipping');
  const confirmation = (typed: fc.Arbitrary<string>) =>
    fc.record({ typed, reason: fc.constantFrom(...REASONS) });
  const base = { route: key, method: r.method, pushed: 0 };
  type Forgery = { how: string; id?: string; body: unknown; headers?: Record<string, string> };
  const to = (f: Forgery): FuzzCase => ({
    ...base,
    kind: `forged:site-${f.how}`,
    url: f.id === undefined ? r.url : fillPath(r.url, { id: enc(f.id) }),
    headers: f.headers ?? admin,
    body: json(f.body, `forged-site-${f.how}`),
    expect: 'client-error' as const,
  });
  const variants: fc.Arbitrary<Forgery>[] = [];
  switch (key) {
    case 'POST /api/sites/warehouses':
      variants.push(
        fc.record({ id: fresh, name }).map((body) => ({ how: 'not-admin', body, headers: nonAdmin })),
        name.map((n) => ({ how: 'taken', body: { id: site.warehouseId, name: n } })),
        fc
          .tuple(fresh, name, fc.constantFrom('tenantId', 'tenant_id', 'active', 'seq'))
          .map(([id, n, k]) => ({
            how: 'extra',
            body: { id, name: n, [k]: k === 'active' ? false : 'globex' },
          })),
      );
      break;
    case 'PUT /api/sites/warehouses/:id':
      variants.push(
        name.map((n) => ({
          how: 'not-admin',
          id: site.warehouseId,
          body: { name: n, active: true },
          headers: nonAdmin,
        })),
        fc
          .tuple(fc.constantFrom(...UNKNOWN_CODES), name, fc.boolean())
          .map(([id, n, active]) => ({ how: 'unknown', id, body: { name: n, active } })),
        fc
          .tuple(name, confirmation(fc.constantFrom('globex', 'WH2', site.locations[0]?.id ?? 'X', 'W H 1')))
          .map(([n, c]) => ({
            how: 'mistyped',
            id: site.warehouseId,
            body: { name: n, active: false, confirmation: c },
          })),
        // The right confirmation, but the warehouse still has active locations.
        fc
          .tuple(
            name,
            confirmation(
              fc.constantFrom(site.warehouseId, site.warehouseId.toLowerCase(), ` ${site.warehouseId} `),
            ),
          )
          .map(([n, c]) => ({
            how: 'in-use',
            id: site.warehouseId,
            body: { name: n, active: false, confirmation: c },
          })),
      );
      break;
    case 'POST /api/sites/locations':
      variants.push(
        fc.tuple(fresh, name, kind).map(([id, n, k]) => ({
          how: 'not-admin',
          body: { id, warehouseId: site.warehouseId, name: n, barcode: `B-${id}`, kind: k },
          headers: nonAdmin,
        })),
        // A barcode a scan would confuse with another location's code or barcode (scans ignore case).
        fc
          .tuple(fresh, name, kind, other, fc.boolean(), fc.boolean())
          .map(([id, n, k, o, useCode, lower]) => {
            const clash = useCode ? o.id : o.barcode;
            return {
              how: 'barcode-clash',
              body: {
                id,
                warehouseId: site.warehouseId,
                name: n,
                barcode: lower ? clash.toLowerCase() : clash,
                kind: k,
              },
            };
          }),
        fc.tuple(fresh, name, kind, other).map(([b, n, k, o]) => ({
          how: 'code-taken',
          body: { id: o.id, warehouseId: site.warehouseId, name: n, barcode: `B-${b}`, kind: k },
        })),
        fc.tuple(fresh, name, kind, fc.constantFrom(...UNKNOWN_CODES)).map(([id, n, k, wh]) => ({
          how: 'unknown-warehouse',
          body: { id, warehouseId: wh, name: n, barcode: `B-${id}`, kind: k },
        })),
      );
      break;
    case 'PUT /api/sites/locations/:id': {
      const same = (l: SiteLoc, n: string) => ({
        warehouseId: site.warehouseId,
        name: n,
        barcode: l.barcode,
        kind: l.kind,
      });
      variants.push(
        fc.tuple(loc, name).map(([l, n]) => ({
          how: 'not-admin',
          id: l.id,
          body: { ...same(l, n), active: true },
          headers: nonAdmin,
        })),
        fc
          .tuple(
            fc.constantFrom(...UNKNOWN_CODES, ...w.foreignItemIds.map((x) => x.toUpperCase())),
            loc,
            name,
          )
          .map(([id, l, n]) => ({ how: 'unknown', id, body: { ...same(l, n), active: true } })),
        fc.tuple(other, name, fc.boolean()).map(([o, n, lower]) => {
          const l = site.locations[0] as SiteLoc;
          return {
            how: 'barcode-clash',
            id: l.id,
            body: { ...same(l, n), barcode: lower ? o.barcode.toLowerCase() : o.id, active: true },
          };
        }),
        fc
          .tuple(loc, name, fc.constantFrom(...UNKNOWN_CODES), fc.boolean())
          .map(([l, n, wh, deactivate]) => ({
            how: 'unknown-warehouse',
            id: l.id,
            body: {
              ...same(l, n),
              warehouseId: wh,
              active: !deactivate,
              ...(deactivate ? { confirmation: { typed: l.id, reason: 'fuzz: retire' } } : {}),
            },
          })),
        // The right confirmation, but the location holds stock.
        fc
          .tuple(name, confirmation(fc.constantFrom(site.stocked.id, site.stocked.id.toLowerCase())))
          .map(([n, c]) => ({
            how: 'holds-stock',
            id: site.stocked.id,
            body: { ...same(site.stocked, n), active: false, confirmation: c },
          })),
        fc.tuple(loc, name, confirmation(fc.constantFrom('globex', 'RCV-0', 'x'))).map(([l, n, c]) => ({
          how: 'mistyped',
          id: l.id,
          body: { ...same(l, n), active: false, confirmation: c },
        })),
      );
      break;
    }
    default:
      break;
  }
  return fc.oneof(...variants).map(to);
}
