import { z } from 'zod';
import { AlertDraft } from '../alerts/rules.js';
import type { AlertRule } from '../alerts/rules.js';

/** One alert as `GET /api/t/:tenant/alerts` returns it. */
export type Alert = {
  id: string;
  tenantId: string;
  rule: AlertRule;
  userId: string;
  raisedAt: string;
  windowStart: string;
  windowEnd: string;
  count: number;
  detail: Record<string, unknown>;
  /** `client`: raised on a PC while offline and sent at the next sync. */
  source: 'server' | 'client';
  dedupKey: string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
};

/** Answer of `GET /api/t/:tenant/alerts`: newest first. */
export type AlertList = { alerts: Alert[] };

/** Query of `GET /api/t/:tenant/alerts`: `open=1` leaves out acknowledged alerts. */
export const AlertsQuery = z
  .object({
    open: z.enum(['0', '1']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export type AlertsQuery = z.infer<typeof AlertsQuery>;

/** Body of `POST /api/t/:tenant/alerts/local`: alerts the client raised offline (its own user's). */
export const LocalAlertsBody = z.object({ alerts: z.array(AlertDraft).min(1).max(200) }).strict();
export type LocalAlertsBody = z.infer<typeof LocalAlertsBody>;

/** Answer of `POST /api/t/:tenant/alerts/local`: the stored alert of each draft (deduplicated). */
export type LocalAlertsAnswer = { alerts: Alert[] };

/** What the outbound webhook posts (signed: `X-Bulkhead-Signature: sha256=<hex HMAC of the body>`). */
export type AlertWebhookBody = { type: 'alert'; alert: Alert };
