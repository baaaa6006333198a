import { useEffect, useMemo, useRef, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { can } from '../../../shared/access/policy.js';
import type { Grant, GrantDecisionBody } from '../../../shared/api/grants.js';
import { apiClient } from '../../data/workspace.js';
import {
  defaultGrantForm,
  formatRemaining,
  formatWindow,
  GRANT_ROLES,
  grantActions,
  grantPhase,
  remainingOf,
  remoteError,
  remoteErrorText,
  requesterLabel,
  showsRemaining,
  sortGrants,
  validateDecisionReason,
  validateGrantForm,
  type GrantForm,
  type GrantFormErrors,
  type Translate,
} from './model.js';
import { usePrincipal } from '../../state/session.js';
import { useGrants, useNow, useTenantSummaries } from './use-grants.js';

type Feedback = { kind: 'ok' | 'error'; text: string } | null;
type Decision = { grant: Grant; mode: 'reject' | 'revoke' } | null;

/** Temporary authorization: request access, and the list of requests with their decisions. */
export function GrantsScreen() {
  const { t } = useTranslation();
  const { state, reload } = useGrants();
  return (
    <div className="access-screen grants">
      <RequestForm onSent={reload} />
      <GrantList state={state} reload={reload} t={t} />
    </div>
  );
}

function RequestForm({ onSent }: { onSent: () => void }) {
  const { t } = useTranslation();
  const principal = usePrincipal();
  const tenants = useTenantSummaries();
  const [form, setForm] = useState<GrantForm>(() => defaultGrantForm(new Date()));
  const [errors, setErrors] = useState<GrantFormErrors>({});
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);

  const mayRequestForOthers =
    principal !== null && form.tenantId !== '' && can(principal, form.tenantId, 'grant:request-for-others');
  const set = <K extends keyof GrantForm>(key: K, value: GrantForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  };

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (busy) return;
    setFeedback(null);
    const checked = validateGrantForm(form, mayRequestForOthers);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const api = await apiClient();
      await api.sendJson<Grant>('POST', '/api/grants', checked.body);
      setFeedback({ kind: 'ok', text: t('grants.request.sent', { tenant: checked.body.tenantId }) });
      setForm((f) => ({ ...f, reason: '', username: '' }));
      onSent();
    } catch (err) {
      setFeedback({ kind: 'error', text: remoteErrorText(remoteError(err), t, 'grants.request.failed') });
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (key: keyof GrantForm) =>
    errors[key] ? (
      <span id={`grant-${key}-error`} className="error field-error">
        {t(errors[key])}
      </span>
    ) : null;
  const describedBy = (key: keyof GrantForm, hint?: string) =>
    [errors[key] ? `grant-${key}-error` : null, hint ?? null].filter(Boolean).join(' ') || undefined;

  return (
    <section className="card grant-request" aria-labelledby="grant-request-title">
      <h2 id="grant-request-title">{t('grants.request.title')}</h2>
      <p className="hint">{t('grants.intro')}</p>
      {tenants.status === 'error' && (
        <p role="alert" className="error">
          {remoteErrorText(tenants.error, t, 'grants.request.tenantsFailed')}
        </p>
      )}
      <form noValidate onSubmit={(e) => void submit(e)}>
        <fieldset disabled={busy}>
          <div className="form-grid">
            <div className="field">
              <label htmlFor="grant-tenant">{t('grants.request.tenant')}</label>
              <select
                id="grant-tenant"
                value={form.tenantId}
                aria-invalid={errors.tenantId ? true : undefined}
                aria-describedby={describedBy('tenantId')}
                onChange={(e) => set('tenantId', e.target.value)}
              >
                <option value="">
                  {tenants.status === 'loading'
                    ? t('grants.request.tenantsLoading')
                    : t('grants.request.tenantPlaceholder')}
                </option>
                {tenants.status === 'ready' &&
                  tenants.data.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.name === x.id ? x.id : `${x.name} (${x.id})`}
                    </option>
                  ))}
              </select>
              {fieldError('tenantId')}
            </div>
            <div className="field">
              <label htmlFor="grant-role">{t('grants.request.role')}</label>
              <select
                id="grant-role"
                value={form.role}
                aria-invalid={errors.role ? true : undefined}
                aria-describedby={describedBy('role')}
                onChange={(e) => set('role', e.target.value as GrantForm['role'])}
              >
                {GRANT_ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t(`grants.roles.${r}`)}
                  </option>
                ))}
              </select>
              {fieldError('role')}
            </div>
            <div className="field">
              <label htmlFor="grant-valid-from">{t('grants.request.validFrom')}</label>
              <input
                id="grant-valid-from"
                type="datetime-local"
                value={form.validFrom}
                aria-invalid={errors.validFrom ? true : undefined}
                aria-describedby={describedBy('validFrom', 'grant-time-hint')}
                onChange={(e) => set('validFrom', e.target.value)}
              />
              {fieldError('validFrom')}
            </div>
            <div className="field">
              <label htmlFor="grant-valid-until">{t('grants.request.validUntil')}</label>
              <input
                id="grant-valid-until"
                type="datetime-local"
                value={form.validUntil}
                aria-invalid={errors.validUntil ? true : undefined}
                aria-describedby={describedBy('validUntil', 'grant-time-hint')}
                onChange={(e) => set('validUntil', e.target.value)}
              />
              {fieldError('validUntil')}
            </div>
          </div>
          <p id="grant-time-hint" className="hint">
            {t('grants.request.timeHint')}
          </p>
          <div className="field">
            <label htmlFor="grant-reason">{t('grants.request.reason')}</label>
            <textarea
              id="grant-reason"
              value={form.reason}
              rows={2}
              required
              aria-invalid={errors.reason ? true : undefined}
              aria-describedby={describedBy('reason', 'grant-reason-hint')}
              onChange={(e) => set('reason', e.target.value)}
            />
            <span id="grant-reason-hint" className="hint">
              {t('grants.request.reasonHint')}
            </span>
            {fieldError('reason')}
          </div>
          {mayRequestForOthers && (
            <div className="field">
              <label htmlFor="grant-username">{t('grants.request.username')}</label>
              <input
                id="grant-username"
                type="text"
                autoComplete="off"
                value={form.username}
                aria-invalid={errors.username ? true : undefined}
                aria-describedby={describedBy('username', 'grant-username-hint')}
                onChange={(e) => set('username', e.target.value)}
              />
              <span id="grant-username-hint" className="hint">
                {t('grants.request.usernameHint')}
              </span>
              {fieldError('username')}
            </div>
          )}
          <button type="submit" className="primary">
            {busy ? t('grants.request.submitting') : t('grants.request.submit')}
          </button>
        </fieldset>
      </form>
      {feedback && (
        <p
          role={feedback.kind === 'ok' ? 'status' : 'alert'}
          className={feedback.kind === 'ok' ? 'ok' : 'error'}
        >
          {feedback.text}
        </p>
      )}
    </section>
  );
}

type ListProps = {
  state: ReturnType<typeof useGrants>['state'];
  reload: () => void;
  t: Translate;
};

function GrantList({ state, reload, t }: ListProps) {
  const { i18n } = useTranslation();
  const now = useNow(30_000);
  const [decision, setDecision] = useState<Decision>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const grants = useMemo(() => (state.status === 'ready' ? sortGrants(state.data) : []), [state]);

  const act = async (grant: Grant, action: 'approve' | 'reject' | 'revoke', body: GrantDecisionBody) => {
    setBusyId(grant.id);
    setFeedback(null);
    try {
      const api = await apiClient();
      await api.sendJson<unknown>('POST', `/api/grants/${encodeURIComponent(grant.id)}/${action}`, body);
      setFeedback({
        kind: 'ok',
        text: t('grants.actions.done', {
          action: t(`grants.actions.${action}`),
          user: grant.username,
          tenant: grant.tenantId,
        }),
      });
      setDecision(null);
    } catch (err) {
      setFeedback({ kind: 'error', text: remoteErrorText(remoteError(err), t, 'grants.actions.failed') });
    } finally {
      setBusyId(null);
      reload();
    }
  };

  return (
    <section className="card grant-list" aria-labelledby="grant-list-title">
      <div className="section-head">
        <h2 id="grant-list-title">{t('grants.list.title')}</h2>
        {state.status === 'ready' && (
          <span className="count" data-testid="grant-count">
            {t('grants.list.count', { count: grants.length })}
          </span>
        )}
        <button type="button" onClick={reload}>
          {t('grants.list.refresh')}
        </button>
      </div>
      {feedback && (
        <p
          role={feedback.kind === 'ok' ? 'status' : 'alert'}
          className={feedback.kind === 'ok' ? 'ok' : 'error'}
        >
          {feedback.text}
        </p>
      )}
      {state.status === 'loading' ? (
        <p className="state">{t('grants.list.loading')}</p>
      ) : state.status === 'error' ? (
        <p role="alert" className="error state">
          {remoteErrorText(state.error, t, 'grants.list.failed')}
        </p>
      ) : grants.length === 0 ? (
        <p className="state">{t('grants.list.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">{t('grants.list.status')}</th>
                <th scope="col">{t('grants.list.tenant')}</th>
                <th scope="col">{t('grants.list.user')}</th>
                <th scope="col">{t('grants.list.role')}</th>
                <th scope="col">{t('grants.list.window')}</th>
                <th scope="col">{t('grants.list.remaining')}</th>
                <th scope="col">{t('grants.list.reason')}</th>
                <th scope="col">{t('grants.list.requestedBy')}</th>
                <th scope="col">{t('grants.list.decidedBy')}</th>
                <th scope="col">{t('grants.list.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {grants.map((g) => {
                const phase = grantPhase(g, now);
                const actions = grantActions(g);
                const names = { user: g.username, tenant: g.tenantId };
                return (
                  <tr
                    key={g.id}
                    data-grant-id={g.id}
                    data-user={g.username}
                    data-tenant={g.tenantId}
                    data-phase={phase}
                  >
                    <td>
                      <span className={`badge phase-${phase}`}>{t(`grants.phase.${phase}`)}</span>
                    </td>
                    <td>{g.tenantId}</td>
                    <td>{g.username}</td>
                    <td>{t(`grants.roles.${g.role}`)}</td>
                    <td>{formatWindow(g.validFrom, g.validUntil, i18n.language)}</td>
                    <td data-testid="remaining">
                      {showsRemaining(g)
                        ? formatRemaining(remainingOf(g.validFrom, g.validUntil, now), t)
                        : ''}
                    </td>
                    <td className="reason">{g.reason}</td>
                    <td>{requesterLabel(g)}</td>
                    <td>{g.decidedBy ?? ''}</td>
                    <td className="actions">
                      {actions.approve && (
                        <button
                          type="button"
                          className="primary"
                          disabled={busyId !== null}
                          aria-label={t('grants.actions.approveLabel', names)}
                          onClick={() => void act(g, 'approve', {})}
                        >
                          {t('grants.actions.approve')}
                        </button>
                      )}
                      {actions.reject && (
                        <button
                          type="button"
                          disabled={busyId !== null}
                          aria-label={t('grants.actions.rejectLabel', names)}
                          onClick={() => setDecision({ grant: g, mode: 'reject' })}
                        >
                          {t('grants.actions.reject')}
                        </button>
                      )}
                      {actions.revoke && (
                        <button
                          type="button"
                          className="danger"
                          disabled={busyId !== null}
                          aria-label={t('grants.actions.revokeLabel', names)}
                          onClick={() => setDecision({ grant: g, mode: 'revoke' })}
                        >
                          {t('grants.actions.revoke')}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {decision && (
        <DecisionDialog
          key={`${decision.grant.id}-${decision.mode}`}
          decision={decision}
          busy={busyId !== null}
          t={t}
          onCancel={() => setDecision(null)}
          onConfirm={(body) => void act(decision.grant, decision.mode, body)}
        />
      )}
    </section>
  );
}

type DialogProps = {
  decision: NonNullable<Decision>;
  busy: boolean;
  t: Translate;
  onCancel: () => void;
  onConfirm: (body: GrantDecisionBody) => void;
};

/** Reject or revoke: a modal dialog that asks for the reason (Escape cancels). */
function DecisionDialog({ decision, busy, t, onCancel, onConfirm }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const { grant, mode } = decision;
  const names = { user: grant.username, tenant: grant.tenantId };

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    const checked = validateDecisionReason(reason);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    onConfirm(checked.body);
  };

  return (
    <dialog ref={ref} className="card decision-dialog" aria-labelledby="decision-title" onClose={onCancel}>
      <form noValidate onSubmit={submit}>
        <h3 id="decision-title">
          {mode === 'reject' ? t('grants.dialog.rejectTitle', names) : t('grants.dialog.revokeTitle', names)}
        </h3>
        {mode === 'revoke' && <p className="hint">{t('grants.dialog.revokeWarning')}</p>}
        <div className="field">
          <label htmlFor="decision-reason">{t('grants.dialog.reason')}</label>
          <textarea
            id="decision-reason"
            value={reason}
            rows={2}
            required
            autoFocus
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'decision-error' : undefined}
            onChange={(e) => {
              setReason(e.target.value);
              setError(null);
            }}
          />
        </div>
        {error && (
          <p id="decision-error" role="alert" className="error">
            {t(error)}
          </p>
        )}
        <div className="dialog-buttons">
          <button type="button" onClick={onCancel}>
            {t('grants.dialog.cancel')}
          </button>
          <button type="submit" className={mode === 'revoke' ? 'danger' : 'primary'} disabled={busy}>
            {mode === 'reject' ? t('grants.dialog.confirmReject') : t('grants.dialog.confirmRevoke')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
