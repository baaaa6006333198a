import { useCallback, useEffect, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { can } from '../../../shared/access/policy.js';
import type { AuditEntry, AuditPage } from '../../../shared/api/audit.js';
import { rollbackEntries } from '../../data/rollback.js';
import { apiClient, useActiveTenant, useWorkspace } from '../../data/workspace.js';
import { usePrincipal, useSession } from '../../state/session.js';
import { FieldDiff } from './FieldDiff.js';
import {
  appendPage,
  AUDIT_ACTIONS,
  AUDIT_ENTITIES,
  auditPath,
  checkLoaded,
  EMPTY_FILTER,
  filterErrors,
  formatAbsolute,
  formatRelative,
  isRollbackable,
  labelKey,
  loadError,
  loadErrorText,
  offlineRecordedAt,
  rollbackSetFor,
  verdictText,
  verifyPath,
  type AuditFilter,
  type LoadError,
  type LocalCheck,
  type Translate,
  type VerifyAnswer,
} from './model.js';

const PAGE = 50;

type Load =
  | { status: 'loading' }
  | { status: 'error'; error: LoadError }
  | {
      status: 'ready';
      entries: AuditEntry[];
      nextBefore: number | null;
      older: 'idle' | 'loading' | LoadError;
    };

type Verify =
  | { status: 'idle' }
  | { status: 'working' }
  | { status: 'done'; answer: VerifyAnswer; local: LocalCheck }
  | { status: 'error'; error: LoadError };

type RollbackFeedback =
  | { kind: 'result'; ok: number; failed: { id: string; message: string }[] }
  | { kind: 'error'; text: string }
  | null;

const actionLabel = (t: Translate, action: string) =>
  t(labelKey('audit.actions', action), { defaultValue: action });
const entityLabel = (t: Translate, entity: string) =>
  t(labelKey('audit.entities', entity), { defaultValue: entity });

/** The tenant's audit log: filters, entries with field diffs, chain verification and rollback. */
export function AuditScreen() {
  const { t, i18n } = useTranslation();
  const signedInOffline = useSession((s) => s.offline);
  const opening = useWorkspace((s) => s.opening);
  const tenant = useActiveTenant();
  const principal = usePrincipal();
  const mayReadAll = principal !== null && tenant !== null && can(principal, tenant, 'audit:read');
  const mayVerify = principal !== null && tenant !== null && can(principal, tenant, 'audit:verify');
  const mayRollback = principal !== null && tenant !== null && can(principal, tenant, 'audit:rollback');

  const [draft, setDraft] = useState<AuditFilter>(EMPTY_FILTER);
  const [applied, setApplied] = useState<AuditFilter>(EMPTY_FILTER);
  const [errors, setErrors] = useState<Partial<Record<keyof AuditFilter, string>>>({});
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const [verify, setVerify] = useState<Verify>({ status: 'idle' });
  const [rolling, setRolling] = useState(false);
  const [rollback, setRollback] = useState<RollbackFeedback>(null);

  useEffect(() => {
    if (tenant === null) return;
    let live = true;
    setLoad({ status: 'loading' });
    void (async () => {
      try {
        const api = await apiClient();
        const page = await api.getJson<AuditPage>(auditPath(tenant, applied, { limit: PAGE }));
        if (live)
          setLoad({ status: 'ready', entries: page.entries, nextBefore: page.nextBefore, older: 'idle' });
      } catch (e) {
        if (live) setLoad({ status: 'error', error: loadError(e, signedInOffline) });
      }
    })();
    return () => {
      live = false;
    };
  }, [tenant, applied, round, signedInOffline]);

  // A different tenant's verdict must not linger on screen.
  useEffect(() => {
    setVerify({ status: 'idle' });
    setRollback(null);
  }, [tenant]);

  const loadOlder = async () => {
    if (load.status !== 'ready' || load.nextBefore === null || load.older === 'loading' || tenant === null)
      return;
    const before = load.nextBefore;
    setLoad({ ...load, older: 'loading' });
    try {
      const api = await apiClient();
      const page = await api.getJson<AuditPage>(auditPath(tenant, applied, { limit: PAGE, before }));
      setLoad((l) =>
        l.status === 'ready'
          ? {
              status: 'ready',
              entries: appendPage(l.entries, page.entries),
              nextBefore: page.nextBefore,
              older: 'idle',
            }
          : l,
      );
    } catch (e) {
      setLoad((l) => (l.status === 'ready' ? { ...l, older: loadError(e, signedInOffline) } : l));
    }
  };

  const runVerify = async () => {
    if (tenant === null) return;
    setVerify({ status: 'working' });
    try {
      const api = await apiClient();
      const answer = await api.getJson<VerifyAnswer>(verifyPath(tenant));
      const local =
        load.status === 'ready' ? await checkLoaded(load.entries) : ({ kind: 'unavailable' } as const);
      setVerify({ status: 'done', answer, local });
    } catch (e) {
      setVerify({ status: 'error', error: loadError(e, signedInOffline) });
    }
  };

  const runRollback = async (entries: AuditEntry[]) => {
    if (entries.length === 0 || rolling) return;
    setRolling(true);
    setRollback(null);
    try {
      const result = await rollbackEntries(entries);
      setRollback({ kind: 'result', ok: result.ok, failed: result.failed });
      if (result.ok > 0) setRound((r) => r + 1);
    } catch (e) {
      setRollback({
        kind: 'error',
        text: t('audit.rollback.error', { message: e instanceof Error ? e.message : String(e) }),
      });
    } finally {
      setRolling(false);
    }
  };

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    const problems = filterErrors(draft);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setApplied({ ...draft });
    setRollback(null);
  };
  const reset = () => {
    setDraft(EMPTY_FILTER);
    setErrors({});
    setApplied(EMPTY_FILTER);
    setRollback(null);
  };
  const byActor = useCallback((actorId: string) => {
    setDraft((d) => ({ ...d, actor: actorId }));
    setApplied((a) => ({ ...a, actor: actorId }));
    setErrors({});
  }, []);
  const set = <K extends keyof AuditFilter>(key: K, value: AuditFilter[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  };

  if (tenant === null) {
    return (
      <section className="card access-screen audit" aria-labelledby="audit-title">
        <h2 id="audit-title">{t('audit.title')}</h2>
        <p className="state" role="status">
          {opening ? t('audit.list.loading') : t('audit.errors.noTenant')}
        </p>
      </section>
    );
  }

  const entries = load.status === 'ready' ? load.entries : [];
  const bulk = mayRollback ? rollbackSetFor(entries, applied.actor) : [];
  const fieldError = (key: keyof AuditFilter) =>
    errors[key] ? (
      <span id={`audit-${key}-error`} className="error field-error">
        {t(errors[key])}
      </span>
    ) : null;
  const describedBy = (key: keyof AuditFilter, hint?: string) =>
    [errors[key] ? `audit-${key}-error` : null, hint ?? null].filter(Boolean).join(' ') || undefined;

  return (
    <section className="card access-screen audit" aria-labelledby="audit-title">
      <div className="section-head">
        <h2 id="audit-title">{t('audit.title')}</h2>
        {load.status === 'ready' && (
          <span className="count" data-testid="audit-count">
            {t('audit.list.count', { count: entries.length })}
          </span>
        )}
        {mayVerify && (
          <button
            type="button"
            className="verify"
            disabled={verify.status === 'working'}
            onClick={() => void runVerify()}
          >
            {verify.status === 'working' ? t('audit.verify.working') : t('audit.verify.button')}
          </button>
        )}
      </div>
      <p className="hint">{t('audit.intro')}</p>
      {!mayReadAll && <p className="hint">{t('audit.ownOnly')}</p>}
      <VerifyResult verify={verify} t={t} />

      <form className="audit-filters" noValidate onSubmit={submit} aria-labelledby="audit-filter-title">
        <h3 id="audit-filter-title" className="sr-only">
          {t('audit.filters.title')}
        </h3>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="audit-actor">{t('audit.filters.actor')}</label>
            <input
              id="audit-actor"
              type="text"
              autoComplete="off"
              value={draft.actor}
              aria-invalid={errors.actor ? true : undefined}
              aria-describedby={describedBy('actor', 'audit-actor-hint')}
              onChange={(e) => set('actor', e.target.value)}
            />
            <span id="audit-actor-hint" className="hint">
              {t('audit.filters.actorHint')}
            </span>
            {fieldError('actor')}
          </div>
          <div className="field">
            <label htmlFor="audit-entity">{t('audit.filters.entity')}</label>
            <select id="audit-entity" value={draft.entity} onChange={(e) => set('entity', e.target.value)}>
              <option value="">{t('audit.filters.any')}</option>
              {AUDIT_ENTITIES.map((x) => (
                <option key={x} value={x}>
                  {entityLabel(t, x)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-action">{t('audit.filters.action')}</label>
            <select id="audit-action" value={draft.action} onChange={(e) => set('action', e.target.value)}>
              <option value="">{t('audit.filters.any')}</option>
              {AUDIT_ACTIONS.map((x) => (
                <option key={x} value={x}>
                  {actionLabel(t, x)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-from">{t('audit.filters.from')}</label>
            <input
              id="audit-from"
              type="datetime-local"
              value={draft.from}
              aria-invalid={errors.from ? true : undefined}
              aria-describedby={describedBy('from', 'audit-time-hint')}
              onChange={(e) => set('from', e.target.value)}
            />
            {fieldError('from')}
          </div>
          <div className="field">
            <label htmlFor="audit-to">{t('audit.filters.to')}</label>
            <input
              id="audit-to"
              type="datetime-local"
              value={draft.to}
              aria-invalid={errors.to ? true : undefined}
              aria-describedby={describedBy('to', 'audit-time-hint')}
              onChange={(e) => set('to', e.target.value)}
            />
            {fieldError('to')}
          </div>
        </div>
        <p id="audit-time-hint" className="hint">
          {t('audit.filters.timeHint')}
        </p>
        <div className="form-buttons">
          <button type="submit" className="primary">
            {t('audit.filters.apply')}
          </button>
          <button type="button" onClick={reset}>
            {t('audit.filters.reset')}
          </button>
          {bulk.length > 0 && (
            <button
              type="button"
              className="danger"
              disabled={rolling}
              aria-describedby="audit-rollback-hint"
              onClick={() => void runRollback(bulk)}
            >
              {rolling
                ? t('audit.rollback.working')
                : t('audit.rollback.all', { count: bulk.length, user: applied.actor.trim() })}
            </button>
          )}
        </div>
        {mayRollback && (
          <p id="audit-rollback-hint" className="hint">
            {t('audit.rollback.hint')}
          </p>
        )}
      </form>

      <RollbackResult feedback={rollback} t={t} />

      {load.status === 'loading' && (
        <p className="state" role="status">
          {t('audit.list.loading')}
        </p>
      )}
      {load.status === 'error' && (
        <p className="error state" role="alert">
          {loadErrorText(load.error, t, 'audit', 'audit.list.failed')}
        </p>
      )}
      {load.status === 'ready' && entries.length === 0 && <p className="state">{t('audit.list.empty')}</p>}
      {entries.length > 0 && (
        <ol className="audit-list">
          {entries.map((e) => (
            <AuditEntryView
              key={e.id}
              entry={e}
              locale={i18n.language}
              t={t}
              rollback={mayRollback && isRollbackable(e) ? () => void runRollback([e]) : null}
              rolling={rolling}
              onActor={byActor}
            />
          ))}
        </ol>
      )}
      {load.status === 'ready' && entries.length > 0 && (
        <div className="form-buttons audit-more">
          {load.nextBefore !== null ? (
            <button type="button" disabled={load.older === 'loading'} onClick={() => void loadOlder()}>
              {load.older === 'loading' ? t('audit.list.loadingOlder') : t('audit.list.loadOlder')}
            </button>
          ) : (
            <span className="hint">{t('audit.list.end')}</span>
          )}
          {typeof load.older === 'object' && (
            <span className="error" role="alert">
              {loadErrorText(load.older, t, 'audit', 'audit.list.failed')}
            </span>
          )}
        </div>
      )}
    </section>
  );
}

function VerifyResult({ verify, t }: { verify: Verify; t: Translate }) {
  if (verify.status === 'idle' || verify.status === 'working') return null;
  if (verify.status === 'error') {
    return (
      <p role="alert" className="error verify-result">
        {loadErrorText(verify.error, t, 'audit', 'audit.verify.failed')}
      </p>
    );
  }
  const { answer, local } = verify;
  return (
    <div className="verify-result" data-testid="verify-result">
      {answer.ok ? (
        <p role="status" className="ok chain-intact">
          {verdictText(answer, t)}
        </p>
      ) : (
        <p role="alert" className="error chain-broken">
          {verdictText(answer, t)}
        </p>
      )}
      <p role="status" className="hint">
        {local.kind === 'ok'
          ? t('audit.verify.localOk', { first: local.first, last: local.last, count: local.count })
          : local.kind === 'broken'
            ? t('audit.verify.localBroken', { seq: local.seq, reason: local.reason })
            : t('audit.verify.localUnavailable')}
      </p>
    </div>
  );
}

function RollbackResult({ feedback, t }: { feedback: RollbackFeedback; t: Translate }) {
  // Nothing done and nothing failed: the user cancelled the confirmation.
  if (feedback === null || (feedback.kind === 'result' && feedback.ok === 0 && feedback.failed.length === 0))
    return null;
  if (feedback.kind === 'error') {
    return (
      <p role="alert" className="error">
        {feedback.text}
      </p>
    );
  }
  return (
    <div className="rollback-result">
      {feedback.ok > 0 && (
        <p role="status" className="ok">
          {t('audit.rollback.done', { count: feedback.ok })}
        </p>
      )}
      {feedback.failed.length > 0 && (
        <div role="alert" className="error">
          <p>{t('audit.rollback.someFailed', { count: feedback.failed.length })}</p>
          <ul>
            {feedback.failed.map((f) => (
              <li key={f.id}>{t('audit.rollback.failedItem', { id: f.id, message: f.message })}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

type EntryProps = {
  entry: AuditEntry;
  locale: string;
  t: Translate;
  rollback: (() => void) | null;
  rolling: boolean;
  onActor: (actorId: string) => void;
};

function AuditEntryView({ entry: e, locale, t, rollback, rolling, onActor }: EntryProps) {
  const offline = offlineRecordedAt(e);
  const c = e.confirmation ?? null;
  const headingId = `audit-entry-${e.id}`;
  return (
    <li
      className="audit-entry"
      data-testid="audit-entry"
      data-seq={e.seq}
      data-entity={e.entity}
      data-action={e.action}
      aria-labelledby={headingId}
    >
      <div className="audit-entry-head">
        <strong id={headingId}>
          {t('audit.entry.seq', { seq: e.seq })} · {actionLabel(t, e.action)} · {entityLabel(t, e.entity)}
        </strong>
        <time dateTime={e.at} title={e.at}>
          {formatAbsolute(e.at, locale)} ({formatRelative(e.at, new Date(), locale)})
        </time>
        {offline && (
          <span className="offline-note">
            {t('audit.entry.recordedOffline', { time: formatAbsolute(offline, locale) })}
          </span>
        )}
      </div>
      <dl className="audit-meta">
        <div>
          <dt>{t('audit.entry.actor')}</dt>
          <dd>
            <button
              type="button"
              className="link"
              title={t('audit.entry.filterByActor', { user: e.actorId })}
              aria-label={t('audit.entry.filterByActor', { user: e.actorId })}
              onClick={() => onActor(e.actorId)}
            >
              {e.actorId}
            </button>
          </dd>
        </div>
        <div>
          <dt>{t('audit.entry.device')}</dt>
          <dd>{e.deviceId ?? t('audit.entry.noDevice')}</dd>
        </div>
        <div>
          <dt>{t('audit.entry.target')}</dt>
          <dd>
            {entityLabel(t, e.entity)} <code>{e.entityId}</code>
          </dd>
        </div>
        {e.reason && (
          <div>
            <dt>{t('audit.entry.reason')}</dt>
            <dd>{e.reason}</dd>
          </div>
        )}
        {c && (
          <div>
            <dt>{t('audit.entry.confirmation')}</dt>
            <dd>
              {t('audit.entry.typed', { value: c.typed })};{' '}
              {t('audit.entry.confirmationReason', { reason: c.reason })};{' '}
              {c.cosign
                ? t('audit.entry.cosign', {
                    user: c.cosign.userId,
                    time: formatAbsolute(c.cosign.at, locale),
                  })
                : t('audit.entry.noCosign')}
            </dd>
          </div>
        )}
      </dl>
      <FieldDiff before={e.before} after={e.after} />
      {rollback && (
        <div className="form-buttons">
          <button
            type="button"
            className="danger"
            disabled={rolling}
            aria-label={t('audit.rollback.oneLabel', { seq: e.seq })}
            onClick={rollback}
          >
            {t('audit.rollback.one')}
          </button>
        </div>
      )}
    </li>
  );
}
