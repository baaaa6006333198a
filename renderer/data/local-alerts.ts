import { alertLookbackMs, evaluateAlerts, type ActivityKind } from '../../shared/alerts/rules.js';
import { DEFAULT_TENANT_SETTINGS } from '../../shared/access/policy.js';
import type { AlertDraft } from '../../shared/alerts/rules.js';
import { useSession } from '../state/session.js';
import { useSyncStatus } from '../state/sync.js';
import { useUserDb } from './attention.js';
import type { ApiClient } from './api.js';

/**
 * Anomaly rules on this PC while it is offline: the same shared rules the server runs, over the
 * user's own local activity; what they raise is kept and sent at the next sync (the server
 * dedups by the burst's key). Online, the server sees every push itself.
 */
export async function noteActivity(tenantId: string, kinds: ActivityKind[], at = new Date()): Promise<void> {
  const db = useUserDb.getState().db;
  const user = useSession.getState().user;
  if (!db || !user) return;
  const settings = useSession.getState().policies[tenantId]?.settings ?? DEFAULT_TENANT_SETTINGS;
  await db.activity.bulkInsert(
    kinds.map((kind) => ({ id: crypto.randomUUID(), tenantId, userId: user.id, at: at.toISOString(), kind })),
  );
  const since = new Date(at.getTime() - 2 * alertLookbackMs(settings)).toISOString();
  await db.activity.find({ selector: { at: { $lt: since } } }).remove();
  if (useSyncStatus.getState().online) return;
  const events = (await db.activity.find({ selector: { tenantId, at: { $gte: since } } }).exec()).map(
    (d) => ({
      tenantId: d.tenantId,
      userId: d.userId,
      at: d.at,
      kind: d.kind as ActivityKind,
    }),
  );
  for (const draft of evaluateAlerts(events, settings, at)) {
    const existing = await db.localalerts.findOne(draft.dedupKey).exec();
    if (!existing) {
      await db.localalerts.insert({
        id: draft.dedupKey,
        tenantId,
        dedupKey: draft.dedupKey,
        draft,
        sent: false,
      });
    }
  }
}

/** Send the alerts raised offline for a tenant (at the next server contact). */
export async function flushLocalAlerts(api: ApiClient, tenantId: string): Promise<number> {
  const db = useUserDb.getState().db;
  if (!db) return 0;
  const pending = await db.localalerts.find({ selector: { tenantId, sent: false } }).exec();
  if (pending.length === 0) return 0;
  await api.sendJson('POST', `/api/t/${encodeURIComponent(tenantId)}/alerts/local`, {
    alerts: pending.map((p) => p.draft as AlertDraft),
  });
  await Promise.all(pending.map((p) => p.incrementalPatch({ sent: true })));
  return pending.length;
}
