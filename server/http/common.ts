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
