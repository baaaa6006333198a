import { useEffect, useMemo, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { create } from 'zustand';
import {
  can,
  Role,
  TenantPolicy as TenantPolicySchema,
  type FieldAccess,
  type TenantPolicy,
  type TenantSettings,
} from '../../../shared/access/policy.js';
import { apiClient, useActiveTenant } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import {
  buildPolicyUpdate,
  cellKey,
  changedCells,
  defaultAccess,
  draftFrom,
  effectiveAccess,
  isDirty,
  matrixRows,
  OTHER_FIELDS,
  optionsFor,
  policyError,
  type PolicyDraft,
  type PolicyError,
} from './model.js';

/** Field policy of the active tenant: admins tighten the default matrix and settings. */
export function PolicyScreen() {
  const { t } = useTranslation();
  const tenantId = useActiveTenant();
  const principal = usePrincipal();

  if (tenantId === null) {
    return (
      <section className="card access-screen">
        <h2>{t('policy.title')}</h2>
        <p className="state">{t('policy.noTenant')}</p>
      </section>
    );
  }
  if (principal === null || !can(principal, tenantId, 'policy:edit')) {
    return (
      <section className="card access-screen">
        <h2>{t('policy.title')}</h2>
        <p role="alert" className="state" data-testid="policy-only-admins">
          {t('policy.onlyAdmins')}
        </p>
      </section>
    );
  }
  return <PolicyEditor key={tenantId} tenantId={tenantId} />;
}

type Load =
  { status: 'loading' } | { status: 'ready'; policy: TenantPolicy } | { status: 'error'; error: PolicyError };
type Feedback =
  | { kind: 'ok'; text: string }
  | { kind: 'error'; error: PolicyError | { kind: 'text'; text: string } }
  | null;

/**
 * The last successful save, outside the component: saving makes every member's partition rebuild
 * (the admin's own too), which unmounts this screen for a moment; the confirmation must survive.
 */
const useLastSave = create<{ saved: { tenantId: string; version: number } | null }>()(() => ({
  saved: null,
}));

function errorText(
  error: PolicyError | { kind: 'text'; text: string },
  t: (k: string, o?: Record<string, unknown>) => string,
) {
  switch (error.kind) {
    case 'text':
      return error.text;
    case 'offline':
      return t('policy.errors.offline');
    case 'conflict':
      return t('policy.errors.conflict');
    case 'forbidden':
      return t('policy.errors.forbidden', { message: error.message });
    case 'other':
      return t('policy.errors.failed', { message: error.message });
  }
}

function PolicyEditor({ tenantId }: { tenantId: string }) {
  const { t } = useTranslation();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [draft, setDraft] = useState<PolicyDraft | null>(null);
  const [round, setRound] = useState(0);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const lastSave = useLastSave((s) => s.saved);
  const savedVersion = lastSave?.tenantId === tenantId ? lastSave.version : null;
  const clearSaved = () => useLastSave.setState({ saved: null });
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/api/t/${encodeURIComponent(tenantId)}/policy`;

  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const api = await apiClient();
        const policy = TenantPolicySchema.parse(await api.getJson<unknown>(path));
        if (!live) return;
        setLoad({ status: 'ready', policy });
        setDraft(draftFrom(policy));
      } catch (e) {
        if (live) setLoad({ status: 'error', error: policyError(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [path, round]);

  const saved = useMemo(() => (load.status === 'ready' ? draftFrom(load.policy) : null), [load]);
  const changed = useMemo(
    () => (draft && saved ? changedCells(draft.values, saved.values) : new Set<string>()),
    [draft, saved],
  );

  const reload = () => {
    setFeedback(null);
    clearSaved();
    setRound((r) => r + 1);
  };

  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (busy || load.status !== 'ready' || !draft) return;
    setFeedback(null);
    clearSaved();
    const checked = buildPolicyUpdate(draft, load.policy.version);
    if (!checked.ok) {
      setReasonError(checked.reason);
      if (checked.problems.length > 0) {
        setFeedback({
          kind: 'error',
          error: {
            kind: 'text',
            text: t('policy.errors.invalid', { problems: checked.problems.join('; ') }),
          },
        });
      }
      return;
    }
    setReasonError(null);
    setBusy(true);
    try {
      const api = await apiClient();
      const answer = TenantPolicySchema.safeParse(await api.sendJson<unknown>('PUT', path, checked.body));
      const version = answer.success ? answer.data.version : load.policy.version + 1;
      useLastSave.setState({ saved: { tenantId, version } });
      if (answer.success) {
        setLoad({ status: 'ready', policy: answer.data });
        setDraft(draftFrom(answer.data));
      } else {
        setRound((r) => r + 1);
      }
    } catch (err) {
      setFeedback({ kind: 'error', error: policyError(err) });
    } finally {
      setBusy(false);
    }
  };

  const rows = matrixRows();
  const entityLabel = (entity: string) => t(`policy.entities.${entity}`);
  const fieldLabel = (field: string) =>
    field === OTHER_FIELDS ? t('policy.otherFields') : t(`policy.fields.${field}`, { defaultValue: field });
  const accessLabel = (a: FieldAccess) => t(`policy.access.${a}`);
  const setCell = (key: ReturnType<typeof cellKey>, value: FieldAccess) => {
    clearSaved();
    setDraft((d) => (d ? { ...d, values: { ...d.values, [key]: value } } : d));
  };
  const setSettings = (patch: Partial<TenantSettings>) =>
    setDraft((d) => (d ? { ...d, settings: { ...d.settings, ...patch } } : d));
  const dirty = load.status === 'ready' && draft !== null && isDirty(draft, load.policy);

  return (
    <section className="card access-screen policy" aria-labelledby="policy-title">
      <div className="section-head">
        <h2 id="policy-title">{t('policy.heading', { tenant: tenantId })}</h2>
        {load.status === 'ready' && (
          <span className="count" data-testid="policy-version">
            {t('policy.version', { version: load.policy.version })}
          </span>
        )}
        <button type="button" onClick={reload} disabled={busy}>
          {t('policy.reload')}
        </button>
      </div>
      <p className="hint">{t('policy.intro')}</p>
      {savedVersion !== null && (
        <p role="status" className="ok">
          {t('policy.saved', { version: savedVersion })}
        </p>
      )}
      {feedback?.kind === 'error' && (
        <p role="alert" className="error">
          {errorText(feedback.error, t)}{' '}
          {feedback.error.kind === 'conflict' && (
            <button type="button" onClick={reload}>
              {t('policy.reload')}
            </button>
          )}
        </p>
      )}
      {load.status === 'loading' ? (
        <p className="state">{t('policy.loading')}</p>
      ) : load.status === 'error' ? (
        <p role="alert" className="error state">
          {errorText(load.error, t)}
        </p>
      ) : draft === null ? null : (
        <form noValidate onSubmit={(e) => void save(e)}>
          <fieldset disabled={busy}>
            <div className="table-scroll">
              <table className="data-table policy-matrix">
                <caption>{t('policy.matrix')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('policy.field')}</th>
                    {Role.options.map((role) => (
                      <th key={role} scope="col">
                        {t(`policy.roles.${role}`)}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map(({ entity, field }) => {
                    const rowLabel = `${entityLabel(entity)} · ${fieldLabel(field)}`;
                    return (
                      <tr key={`${entity}.${field}`} data-row={`${entity}.${field}`}>
                        <th scope="row" className={field === OTHER_FIELDS ? 'other-fields' : undefined}>
                          {rowLabel}
                        </th>
                        {Role.options.map((role) => {
                          const key = cellKey(entity, field, role);
                          const base = defaultAccess(role, entity, field);
                          const value = draft.values[key] ?? base;
                          const effective =
                            field === OTHER_FIELDS
                              ? value
                              : effectiveAccess(draft.values, role, entity, field);
                          const classes = [
                            'cell',
                            changed.has(key) ? 'changed' : '',
                            value !== base ? 'tightened' : '',
                          ]
                            .filter(Boolean)
                            .join(' ');
                          return (
                            <td key={role} className={classes}>
                              <select
                                aria-label={t('policy.cellLabel', {
                                  field: rowLabel,
                                  role: t(`policy.roles.${role}`),
                                })}
                                data-cell={key}
                                value={value}
                                onChange={(e) => setCell(key, e.target.value as FieldAccess)}
                              >
                                {optionsFor(role, entity, field).map((a) => (
                                  <option key={a} value={a}>
                                    {accessLabel(a)}
                                  </option>
                                ))}
                              </select>
                              {effective !== value && (
                                <span className="hint effective">
                                  {t('policy.effective', { access: accessLabel(effective) })}
                                </span>
                              )}
                            </td>
                          );
                        })}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p className="hint legend">
              <span className="swatch changed" aria-hidden="true" /> {t('policy.legendChanged')}{' '}
              <span className="swatch tightened" aria-hidden="true" /> {t('policy.legendTightened')} ·{' '}
              {t('policy.effectiveHint')}
            </p>
            <fieldset className="policy-settings">
              <legend>{t('policy.settings.title')}</legend>
              <div className="field">
                <label htmlFor="policy-tenant-column">{t('policy.settings.tenantColumn')}</label>
                <select
                  id="policy-tenant-column"
                  value={draft.settings.tenantColumn}
                  onChange={(e) =>
                    setSettings({ tenantColumn: e.target.value as TenantSettings['tenantColumn'] })
                  }
                >
                  <option value="auto">{t('policy.settings.tenantColumnAuto')}</option>
                  <option value="required">{t('policy.settings.tenantColumnRequired')}</option>
                  <option value="hidden">{t('policy.settings.tenantColumnHidden')}</option>
                </select>
              </div>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={draft.settings.wipeOnLogout}
                  onChange={(e) => setSettings({ wipeOnLogout: e.target.checked })}
                />
                {t('policy.settings.wipeOnLogout')}
              </label>
            </fieldset>
            <div className="field">
              <label htmlFor="policy-reason">{t('policy.reason')}</label>
              <textarea
                id="policy-reason"
                rows={2}
                required
                value={draft.reason}
                aria-invalid={reasonError ? true : undefined}
                aria-describedby={reasonError ? 'policy-reason-error' : undefined}
                onChange={(e) => {
                  const reason = e.target.value;
                  setDraft((d) => (d ? { ...d, reason } : d));
                  setReasonError(null);
                }}
              />
            </div>
            {reasonError && (
              <p id="policy-reason-error" role="alert" className="error">
                {t(reasonError)}
              </p>
            )}
            <div className="form-buttons">
              <button type="submit" className="primary" disabled={!dirty}>
                {busy ? t('policy.saving') : t('policy.save')}
              </button>
              <button
                type="button"
                disabled={!dirty}
                onClick={() => {
                  setDraft(draftFrom(load.policy));
                  setReasonError(null);
                }}
              >
                {t('policy.reset')}
              </button>
              {!dirty && <span className="hint">{t('policy.nothingChanged')}</span>}
            </div>
          </fieldset>
        </form>
      )}
    </section>
  );
}
