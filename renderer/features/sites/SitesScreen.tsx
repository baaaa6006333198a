import { useRef, useState, type ReactNode, type RefObject, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type {
  SiteConfirmation,
  SiteLocation,
  SitesResponse,
  SiteWarehouse,
} from '../../../shared/api/sites.js';
import { LocationKind } from '../../../shared/domain/floor.js';
import { useActiveTenant } from '../../data/workspace.js';
import { requestConfirmation } from '../../state/confirm.js';
import { usePrincipal } from '../../state/session.js';
import {
  activeWarehouses,
  defaultBarcode,
  emptyLocation,
  filterLocations,
  isSiteAdmin,
  locationErrors,
  locationForm,
  normalizeLocation,
  normalizeWarehouse,
  siteErrorText,
  warehouseErrors,
  type FieldProblem,
  type FormErrors,
  type LocationForm,
  type WarehouseForm,
} from './model.js';
import { createLocation, createWarehouse, updateLocation, updateWarehouse, useSites } from './use-sites.js';

type Feedback = { kind: 'ok' | 'error'; text: string } | null;
/** What the open editor changes; `active` is kept as it is (deactivation has its own, confirmed action). */
type Editing =
  | { kind: 'location'; mode: 'create' | 'edit'; form: LocationForm; active: boolean }
  | { kind: 'warehouse'; mode: 'create' | 'edit'; form: WarehouseForm; active: boolean }
  | null;

/**
 * Sites & bins: warehouses and locations (site-wide reference data) for site admins — list,
 * create, edit, deactivate (confirmed) and reactivate. Online only: the server checks the rights,
 * the codes and the stock, and audits every change.
 */
export function SitesScreen() {
  const { t } = useTranslation();
  const principal = usePrincipal();
  if (!isSiteAdmin(principal)) {
    return (
      <section className="card access-screen sites" aria-labelledby="sites-title">
        <h2 id="sites-title">{t('sites.title')}</h2>
        <p role="alert" className="state" data-testid="sites-only-admins">
          {t('sites.onlyAdmins')}
        </p>
      </section>
    );
  }
  return <SitesAdmin />;
}

function SitesAdmin() {
  const { t } = useTranslation();
  const { state, reload } = useSites();
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const tenantId = useActiveTenant();
  const newLocationRef = useRef<HTMLButtonElement>(null);

  const done = (text: string) => {
    setFeedback({ kind: 'ok', text });
    setEditing(null);
    reload();
    newLocationRef.current?.focus();
  };
  const failed = (e: unknown, code: string) =>
    setFeedback({ kind: 'error', text: siteErrorText(e, t, code) });

  const confirmDeactivation = async (
    entity: 'location' | 'warehouse',
    code: string,
    name: string,
  ): Promise<SiteConfirmation | null> => {
    const c = await requestConfirmation({
      kind: 'deactivate',
      subject: t(entity === 'location' ? 'sites.confirmLocation' : 'sites.confirmWarehouse', { code, name }),
      identifying: code,
      needsCosign: false,
      tenantId: tenantId ?? '',
      entity,
      entityId: code,
      action: `${entity}:deactivate`,
    });
    return c ? { typed: c.typed, reason: c.reason } : null;
  };

  const toggleLocation = async (l: SiteLocation) => {
    const confirmation = l.active ? await confirmDeactivation('location', l.id, l.name) : undefined;
    if (confirmation === null) return;
    const { id: _id, ...rest } = locationForm(l);
    try {
      await updateLocation(l.id, { ...rest, active: !l.active, ...(confirmation ? { confirmation } : {}) });
      done(t(l.active ? 'sites.deactivated' : 'sites.reactivated', { code: l.id }));
    } catch (e) {
      failed(e, l.id);
    }
  };

  const toggleWarehouse = async (w: SiteWarehouse) => {
    const confirmation = w.active ? await confirmDeactivation('warehouse', w.id, w.name) : undefined;
    if (confirmation === null) return;
    try {
      await updateWarehouse(w.id, {
        name: w.name,
        active: !w.active,
        ...(confirmation ? { confirmation } : {}),
      });
      done(t(w.active ? 'sites.deactivated' : 'sites.reactivated', { code: w.id }));
    } catch (e) {
      failed(e, w.id);
    }
  };

  return (
    <section className="card access-screen sites" aria-labelledby="sites-title" data-testid="sites">
      <h2 id="sites-title">{t('sites.title')}</h2>
      <p className="hint">{t('sites.intro')}</p>
      {feedback && (
        <p
          role={feedback.kind === 'error' ? 'alert' : 'status'}
          className={feedback.kind === 'error' ? 'error' : 'ok'}
          data-testid="sites-feedback"
        >
          {feedback.text}
        </p>
      )}
      {state.status === 'loading' && <p className="state">{t('sites.loading')}</p>}
      {state.status === 'error' && (
        <div className="state">
          <p role="alert" className="error">
            {t('sites.errors.load', { message: siteErrorText(state.error, t, '') })}
          </p>
          <button type="button" onClick={reload}>
            {t('sites.retry')}
          </button>
        </div>
      )}
      {state.status === 'ready' && !state.data.mayEdit && (
        // The session's memberships may be stale: the server's answer decides.
        <p role="alert" className="state" data-testid="sites-only-admins">
          {t('sites.onlyAdmins')}
        </p>
      )}
      {state.status === 'ready' && state.data.mayEdit && (
        <>
          {editing?.kind === 'warehouse' && (
            <WarehouseEditor
              key={`${editing.mode}:${editing.form.id}`}
              mode={editing.mode}
              initial={editing.form}
              active={editing.active}
              onCancel={() => setEditing(null)}
              onSaved={(w) => done(t('sites.saved', { code: w.id }))}
              onFailed={failed}
            />
          )}
          {editing?.kind === 'location' && (
            <LocationEditor
              key={`${editing.mode}:${editing.form.id}`}
              mode={editing.mode}
              initial={editing.form}
              active={editing.active}
              warehouses={state.data.warehouses}
              onCancel={() => {
                setEditing(null);
                newLocationRef.current?.focus();
              }}
              onSaved={(l) => done(t('sites.saved', { code: l.id }))}
              onFailed={failed}
            />
          )}
          <WarehousesTable
            warehouses={state.data.warehouses}
            onNew={() =>
              setEditing({ kind: 'warehouse', mode: 'create', form: { id: '', name: '' }, active: true })
            }
            onEdit={(w) =>
              setEditing({
                kind: 'warehouse',
                mode: 'edit',
                form: { id: w.id, name: w.name },
                active: w.active,
              })
            }
            onToggle={(w) => void toggleWarehouse(w)}
          />
          <LocationsTable
            data={state.data}
            newRef={newLocationRef}
            onNew={() =>
              setEditing({
                kind: 'location',
                mode: 'create',
                form: emptyLocation(activeWarehouses(state.data.warehouses)[0]?.id ?? ''),
                active: true,
              })
            }
            onEdit={(l) =>
              setEditing({ kind: 'location', mode: 'edit', form: locationForm(l), active: l.active })
            }
            onToggle={(l) => void toggleLocation(l)}
          />
        </>
      )}
    </section>
  );
}

function StatusCell({ active }: { active: boolean }) {
  const { t } = useTranslation();
  return (
    <span className={active ? 'badge' : 'badge muted'}>{t(active ? 'sites.active' : 'sites.inactive')}</span>
  );
}

function RowActions(props: { code: string; active: boolean; onEdit: () => void; onToggle: () => void }) {
  const { t } = useTranslation();
  return (
    <td className="actions">
      <button type="button" aria-label={t('sites.editOf', { code: props.code })} onClick={props.onEdit}>
        {t('sites.edit')}
      </button>
      <button
        type="button"
        className={props.active ? 'danger' : undefined}
        aria-label={t(props.active ? 'sites.deactivateOf' : 'sites.reactivateOf', { code: props.code })}
        onClick={props.onToggle}
      >
        {t(props.active ? 'sites.deactivate' : 'sites.reactivate')}
      </button>
    </td>
  );
}

function WarehousesTable(props: {
  warehouses: SiteWarehouse[];
  onNew: () => void;
  onEdit: (w: SiteWarehouse) => void;
  onToggle: (w: SiteWarehouse) => void;
}) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="sites-warehouses">
      <div className="section-head">
        <h3 id="sites-warehouses">{t('sites.warehouses')}</h3>
        <button type="button" onClick={props.onNew}>
          {t('sites.newWarehouse')}
        </button>
      </div>
      {props.warehouses.length === 0 ? (
        <p className="state">{t('sites.noWarehouses')}</p>
      ) : (
        <table className="data-table" data-testid="sites-warehouses">
          <thead>
            <tr>
              <th scope="col">{t('sites.col.code')}</th>
              <th scope="col">{t('sites.col.name')}</th>
              <th scope="col">{t('sites.col.status')}</th>
              <th scope="col">{t('sites.col.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {props.warehouses.map((w) => (
              <tr key={w.id} data-warehouse={w.id}>
                <td>{w.id}</td>
                <td>{w.name}</td>
                <td>
                  <StatusCell active={w.active} />
                </td>
                <RowActions
                  code={w.id}
                  active={w.active}
                  onEdit={() => props.onEdit(w)}
                  onToggle={() => props.onToggle(w)}
                />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function LocationsTable(props: {
  data: SitesResponse;
  newRef: RefObject<HTMLButtonElement | null>;
  onNew: () => void;
  onEdit: (l: SiteLocation) => void;
  onToggle: (l: SiteLocation) => void;
}) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [warehouseId, setWarehouseId] = useState('');
  const [showInactive, setShowInactive] = useState(false);
  const { warehouses, locations } = props.data;
  const shown = filterLocations(locations, { q, warehouseId, showInactive });
  const warehouseName = new Map(warehouses.map((w) => [w.id, w.name]));
  return (
    <section aria-labelledby="sites-locations">
      <div className="section-head">
        <h3 id="sites-locations">{t('sites.locations')}</h3>
        <button
          type="button"
          ref={props.newRef}
          onClick={props.onNew}
          disabled={activeWarehouses(warehouses).length === 0}
        >
          {t('sites.newLocation')}
        </button>
      </div>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="sites-search">{t('sites.filter.search')}</label>
          <input id="sites-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="sites-warehouse-filter">{t('sites.filter.warehouse')}</label>
          <select
            id="sites-warehouse-filter"
            value={warehouseId}
            onChange={(e) => setWarehouseId(e.target.value)}
          >
            <option value="">{t('sites.filter.allWarehouses')}</option>
            {warehouses.map((w) => (
              <option key={w.id} value={w.id}>
                {w.id} — {w.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="checkbox">
            <input
              type="checkbox"
              name="sites-inactive"
              checked={showInactive}
              onChange={(e) => setShowInactive(e.target.checked)}
            />
            {t('sites.filter.inactive')}
          </label>
        </div>
      </div>
      {locations.length === 0 ? (
        <p className="state">{t('sites.noLocations')}</p>
      ) : shown.length === 0 ? (
        <p className="state">{t('sites.noMatch')}</p>
      ) : (
        <>
          <p className="count" data-testid="sites-count">
            {t('sites.shown', { shown: shown.length, total: locations.length })}
          </p>
          <div className="table-scroll">
            <table className="data-table" data-testid="sites-locations">
              <thead>
                <tr>
                  <th scope="col">{t('sites.col.code')}</th>
                  <th scope="col">{t('sites.col.name')}</th>
                  <th scope="col">{t('sites.col.warehouse')}</th>
                  <th scope="col">{t('sites.col.kind')}</th>
                  <th scope="col">{t('sites.col.barcode')}</th>
                  <th scope="col">{t('sites.col.status')}</th>
                  <th scope="col">{t('sites.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((l) => (
                  <tr key={l.id} data-location={l.id}>
                    <td>{l.id}</td>
                    <td>{l.name}</td>
                    <td title={warehouseName.get(l.warehouseId)}>{l.warehouseId}</td>
                    <td>{t(`sites.kinds.${l.kind}`)}</td>
                    <td>
                      <code className="barcode" data-testid="location-barcode">
                        {l.barcode}
                      </code>
                    </td>
                    <td>
                      <StatusCell active={l.active} />
                    </td>
                    <RowActions
                      code={l.id}
                      active={l.active}
                      onEdit={() => props.onEdit(l)}
                      onToggle={() => props.onToggle(l)}
                    />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** One labelled input with its hint and error, wired for screen readers. */
function TextField(props: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  problem?: FieldProblem;
  hint?: string;
  placeholder?: string;
  readOnly?: boolean;
  autoFocus?: boolean;
}) {
  const { t } = useTranslation();
  const describedBy = [props.hint ? `${props.id}-hint` : '', props.problem ? `${props.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        autoComplete="off"
        value={props.value}
        placeholder={props.placeholder}
        readOnly={props.readOnly}
        autoFocus={props.autoFocus}
        aria-invalid={props.problem ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint && (
        <span id={`${props.id}-hint`} className="hint">
          {props.hint}
        </span>
      )}
      {props.problem && (
        <span id={`${props.id}-error`} className="field-error error">
          {t(`sites.form.${props.problem.key}`, props.problem.opts)}
        </span>
      )}
    </div>
  );
}

/**
 * The state of one editor form: its values, the errors shown once a submit was tried, and a submit
 * that validates (nothing sent on an error), saves, and reports the outcome.
 */
function useEditorForm<F, R>(o: {
  initial: F;
  errorsOf: (f: F) => FormErrors<F>;
  save: (f: F) => Promise<R>;
  codeOf: (f: F) => string;
  onSaved: (r: R) => void;
  onFailed: (e: unknown, code: string) => void;
}) {
  const [form, setForm] = useState(o.initial);
  const [showErrors, setShowErrors] = useState(false);
  const [busy, setBusy] = useState(false);
  const errors: FormErrors<F> = showErrors ? o.errorsOf(form) : {};
  const set = <K extends keyof F>(k: K, v: F[K]) => setForm((f) => ({ ...f, [k]: v }));
  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (busy) return;
    if (Object.keys(o.errorsOf(form)).length > 0) return setShowErrors(true);
    setBusy(true);
    try {
      o.onSaved(await o.save(form));
    } catch (err) {
      o.onFailed(err, o.codeOf(form));
      setBusy(false);
    }
  };
  return { form, set, errors, busy, submit };
}

/** The frame of an editor: titled form (Escape cancels), its fields, Save and Cancel. */
function EditorShell(props: {
  testId: string;
  title: string;
  busy: boolean;
  onSubmit: (e: SyntheticEvent) => Promise<void>;
  onCancel: () => void;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <form
      className="card sites-editor"
      aria-labelledby="sites-editor-title"
      data-testid={props.testId}
      onSubmit={(e) => void props.onSubmit(e)}
      onKeyDown={(e) => e.key === 'Escape' && props.onCancel()}
      noValidate
    >
      <h3 id="sites-editor-title">{props.title}</h3>
      <div className="form-grid">{props.children}</div>
      <div className="actions">
        <button type="submit" className="primary" disabled={props.busy}>
          {props.busy ? t('sites.form.saving') : t('sites.form.save')}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('sites.form.cancel')}
        </button>
      </div>
    </form>
  );
}

/** The code (fixed once created) and name fields every site editor starts with. */
function CodeAndName<F extends { id: string; name: string }>(props: {
  prefix: string;
  editing: boolean;
  form: F;
  set: <K extends keyof F>(k: K, v: F[K]) => void;
  errors: FormErrors<F>;
}) {
  const { t } = useTranslation();
  const { prefix, editing, form, set, errors } = props;
  return (
    <>
      <TextField
        id={`${prefix}-code`}
        label={t('sites.form.code')}
        value={form.id}
        onChange={(v) => set('id', v.toUpperCase() as F['id'])}
        problem={errors.id}
        hint={editing ? undefined : t('sites.form.codeHint')}
        readOnly={editing}
        autoFocus={!editing}
      />
      <TextField
        id={`${prefix}-name`}
        label={t('sites.form.name')}
        value={form.name}
        onChange={(v) => set('name', v as F['name'])}
        problem={errors.name}
        autoFocus={editing}
      />
    </>
  );
}

function LocationEditor(props: {
  mode: 'create' | 'edit';
  initial: LocationForm;
  active: boolean;
  warehouses: SiteWarehouse[];
  onCancel: () => void;
  onSaved: (l: SiteLocation) => void;
  onFailed: (e: unknown, code: string) => void;
}) {
  const { t } = useTranslation();
  const editing = props.mode === 'edit';
  const { form, set, errors, busy, submit } = useEditorForm({
    initial: props.initial,
    errorsOf: locationErrors,
    codeOf: (f) => normalizeLocation(f).id,
    save: (f) => {
      const { id, ...rest } = normalizeLocation(f);
      return editing
        ? updateLocation(id, { ...rest, active: props.active })
        : createLocation({ id, ...rest });
    },
    onSaved: props.onSaved,
    onFailed: props.onFailed,
  });
  // An inactive warehouse can still be the current one of an edited location; new ones need an active one.
  const choices = props.warehouses.filter((w) => w.active || w.id === props.initial.warehouseId);

  return (
    <EditorShell
      testId="location-editor"
      title={
        editing ? t('sites.form.editLocation', { code: props.initial.id }) : t('sites.form.createLocation')
      }
      busy={busy}
      onSubmit={submit}
      onCancel={props.onCancel}
    >
      <CodeAndName prefix="location" editing={editing} form={form} set={set} errors={errors} />
      <div className="field">
        <label htmlFor="location-warehouse">{t('sites.form.warehouse')}</label>
        <select
          id="location-warehouse"
          value={form.warehouseId}
          aria-invalid={errors.warehouseId ? true : undefined}
          onChange={(e) => set('warehouseId', e.target.value)}
        >
          {choices.map((w) => (
            <option key={w.id} value={w.id}>
              {w.id} — {w.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="location-kind">{t('sites.form.kind')}</label>
        <select
          id="location-kind"
          value={form.kind}
          onChange={(e) => set('kind', LocationKind.parse(e.target.value))}
        >
          {LocationKind.options.map((k) => (
            <option key={k} value={k}>
              {t(`sites.kinds.${k}`)}
            </option>
          ))}
        </select>
      </div>
      <TextField
        id="location-barcode"
        label={t('sites.form.barcode')}
        value={form.barcode}
        onChange={(v) => set('barcode', v)}
        problem={errors.barcode}
        hint={t('sites.form.barcodeHint')}
        placeholder={defaultBarcode(form.id)}
      />
    </EditorShell>
  );
}

function WarehouseEditor(props: {
  mode: 'create' | 'edit';
  initial: WarehouseForm;
  active: boolean;
  onCancel: () => void;
  onSaved: (w: SiteWarehouse) => void;
  onFailed: (e: unknown, code: string) => void;
}) {
  const { t } = useTranslation();
  const editing = props.mode === 'edit';
  const { form, set, errors, busy, submit } = useEditorForm({
    initial: props.initial,
    errorsOf: warehouseErrors,
    codeOf: (f) => normalizeWarehouse(f).id,
    save: (f) => {
      const body = normalizeWarehouse(f);
      return editing
        ? updateWarehouse(body.id, { name: body.name, active: props.active })
        : createWarehouse(body);
    },
    onSaved: props.onSaved,
    onFailed: props.onFailed,
  });

  return (
    <EditorShell
      testId="warehouse-editor"
      title={
        editing ? t('sites.form.editWarehouse', { code: props.initial.id }) : t('sites.form.createWarehouse')
      }
      busy={busy}
      onSubmit={submit}
      onCancel={props.onCancel}
    >
      <CodeAndName prefix="warehouse" editing={editing} form={form} set={set} errors={errors} />
    </EditorShell>
  );
}
