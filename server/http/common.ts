import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { TenantId } from '../../shared/domain/schemas.js';
import type { AuthContext, AuthDeps } from '../auth/service.js';
import { authenticate } from '../auth/service.js';
import type { Alert } from '../../shared/api/alerts.js';
import type { WebhookConfig } from '../alerts/service.js';
import type { ChangeHub } from '../sync/hub.js';
import { HttpError } from './errors.js';

/** What route modules need from the server. */
export type RouteContext = AuthDeps & {
  hub: ChangeHub;
  /** Alert delivery: the webhook (null: none) and the hook that wakes its worker after commit. */
  alerts: { webhook: WebhookConfig | null; raised: (alerts: Alert[]) => void };
};

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new HttpError(
      400,
      'invalid_request',
      `${what} is invalid: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}

export const tenantParam = (req: FastifyRequest): string =>
  parseOr400(TenantId, (req.params as { tenant?: unknown }).tenant, 'tenant');

export const auth = (ctx: RouteContext, req: FastifyRequest): Promise<AuthContext> =>
  authenticate(ctx, req.headers.authorization);

export const forbidden = (message: string, code = 'forbidden'): HttpError =>
  new HttpError(403, code, message);

// NUL cannot be stored in PostgreSQL text or jsonb, and a lone surrogate is not Unicode: the
// driver would store U+FFFD instead, so the audit hash computed here would never verify again.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must not reach PostgreSQL
const BAD_TEXT = /[\u0000\p{Cs}]/u;

/** Deepest nesting a request may carry; our deepest contract (a policy override) needs 4. */
export const MAX_INPUT_DEPTH = 32;

export type InputProblem = { code: 'invalid_text' | 'too_deep'; at: string };

/**
 * The first part of `value` no handler should see: a string or object key that is not storable
 * text (NUL, lone surrogate), or nesting deeper than `maxDepth` (which would overflow recursive
 * code such as hashing or the reply serializer). Iterative, so the check itself cannot overflow.
 */
export function findInputProblem(value: unknown, maxDepth = MAX_INPUT_DEPTH): InputProblem | null {
  const stack: [unknown, string, number][] = [[value, '', 0]];
  while (stack.length > 0) {
    const [v, at, depth] = stack.pop() as [unknown, string, number];
    if (typeof v === 'string') {
      if (BAD_TEXT.test(v)) return { code: 'invalid_text', at };
    } else if (v !== null && typeof v === 'object') {
      if (depth >= maxDepth) return { code: 'too_deep', at };
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push([v[i], `${at}.${i}`, depth + 1]);
      } else {
        for (const [k, x] of Object.entries(v)) {
          if (BAD_TEXT.test(k)) return { code: 'invalid_text', at: `${at}.(key)` };
          stack.push([x, `${at}.${k}`, depth + 1]);
        }
      }
    }
  }
  return null;
}

/** Refuses a request whose params, query or body carry such input, before any handler runs. */
export function assertSaneInput(req: FastifyRequest): void {
  for (const [part, v] of [
    ['path', req.params],
    ['query', req.query],
    ['body', req.body],
  ] as const) {
    const p = findInputProblem(v);
    if (p === null) continue;
    const where = `${part}${p.at === '' ? '' : ` ${p.at.replace(/^\./, '')}`}`;
    throw p.code === 'invalid_text'
      ? new HttpError(400, 'invalid_text', `${where} contains a NUL character or a lone surrogate`)
      : new HttpError(400, 'too_deep', `${where} is nested deeper than ${MAX_INPUT_DEPTH} levels`);
  }
}
