import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWrite } from '../../../shared/access/policy.js';
import {
  csvFileTooLarge,
  parseItemsCsvFile,
  type CsvError,
  type ItemsCsvParse,
} from '../../../shared/domain/floor.js';
import type { ItemDoc } from '../../../shared/domain/schemas.js';
import { createItem, floorContext, importItems, useLocations } from '../../data/floor.js';
import { useActiveTenant, useWorkspace } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { ItemEditor } from '../items/ItemEditor.js';
import { floorErrorText } from './errors.js';
import { ctrlEnterSubmits, Field, FeedbackLine, parseQty, sounded, type Feedback } from './parts.js';

type Tab = 'items' | 'locations' | 'import';

/** Master data: items (search, edit with the floor fields, create), locations (read-only), CSV import. */
export function MasterDataScreen() {
  const { t } = useTranslation();
  const [tab, setTab] = useState<Tab>('items');
  return (
    <section className="card floor-screen master" aria-labelledby="master-title" data-testid="master-data">
      <h2 id="master-title">{t('floor.nav.masterData')}</h2>
      <div className="segmented" role="group" aria-label={t('floor.nav.masterData')}>
        {(['items', 'locations', 'import'] as const).map((x) => (
          <button
            key={x}
            type="button"
            aria-pressed={tab === x}
            className={tab === x ? 'tab active' : 'tab'}
            onClick={() => setTab(x)}
          >
            {t(`floor.master.${x}`)}
          </button>
        ))}
      </div>
      {tab === 'items' && <ItemsPane />}
      {tab === 'locations' && <LocationsPane />}
      {tab === 'import' && <ImportPane />}
    </section>
  );
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function ItemsPane() {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const [q, setQ] = useState('');
  const [items, setItems] = useState<ItemDoc[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    if (!db) return;
    const term = q.trim();
    const selector = term === '' ? {} : { sku: { $regex: `^${escapeRegex(term)}`, $options: 'i' } };
    const sub = db.items
      .find({ selector, sort: [{ sku: 'asc' }], limit: 50 })
      .$.subscribe((docs) => setItems(docs.map((d) => d.toJSON() as ItemDoc)));
    return () => sub.unsubscribe();
  }, [db, q]);
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const mayCreate = principal !== null && tenantId !== null && canWrite(principal, tenantId, 'items', 'sku');

  return (
    <div className="pane">
      <div className="actions">
        <label className="inline grow">
          {t('floor.master.search')}
          <input type="search" name="item-search" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <span title={mayCreate ? undefined : t('items.cannotEdit')}>
          <button type="button" disabled={!mayCreate} onClick={() => setCreating(true)}>
            {t('floor.master.newItem')}
          </button>
        </span>
      </div>
      {creating && <NewItem onDone={() => setCreating(false)} />}
      {items === null ? (
        <p className="state">{t('app.loading')}</p>
      ) : items.length === 0 ? (
        <p className="state">{t('floor.master.noItems')}</p>
      ) : (
        <table className="floor-table" data-testid="master-items">
          <thead>
            <tr>
              <th>{t('items.sku')}</th>
              <th>{t('items.name')}</th>
              <th>{t('items.uom')}</th>
              <th>{t('items.barcode')}</th>
              <th>{t('floor.master.tracking')}</th>
              <th className="num">{t('items.minStock')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} data-sku={i.sku}>
                <td>
                  <button type="button" className="link" onClick={() => setEditing(i.id)}>
                    {i.sku}
                  </button>
                </td>
                <td>{i.name}</td>
                <td>{i.uom}</td>
                <td>{[i.barcode, ...(i.barcodes ?? [])].filter(Boolean).join(', ')}</td>
                <td>
                  {[
                    i.batchTracked ? t('floor.master.batch') : null,
                    i.expiryTracked ? t('floor.master.expiry') : null,
                  ]
                    .filter(Boolean)
                    .join(' · ') || '—'}
                </td>
                <td className="num">{i.minStock ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items !== null && items.length === 50 && (
        <p className="hint">{t('floor.master.firstN', { count: 50 })}</p>
      )}
      {editing && <ItemEditor itemId={editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

function NewItem({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const [f, setF] = useState({ sku: '', name: '', uom: 'pcs', barcode: '', minStock: '' });
  const [batch, setBatch] = useState(false);
  const [expiry, setExpiry] = useState(false);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const skuRef = useRef<HTMLInputElement>(null);
  useEffect(() => skuRef.current?.focus(), []);
  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    const min = f.minStock.trim() === '' ? null : parseQty(f.minStock, true);
    if (f.minStock.trim() !== '' && min === null) {
      setFeedback(sounded({ kind: 'error', text: t('items.errMinStock') }));
      return;
    }
    try {
      await createItem(floorContext(), {
        sku: f.sku,
        name: f.name,
        uom: f.uom,
        barcode: f.barcode.trim() || null,
        batchTracked: batch,
        expiryTracked: expiry,
        minStock: min,
      });
      setFeedback(sounded({ kind: 'ok', text: t('floor.master.created', { sku: f.sku.trim() }) }));
      onDone();
    } catch (err) {
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };
  return (
    <form
      className="floor-form new-item"
      aria-label={t('floor.master.newItem')}
      onSubmit={(e) => void save(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onDone();
        ctrlEnterSubmits(e);
      }}
    >
      {(['sku', 'name', 'uom', 'barcode', 'minStock'] as const).map((k, i) => (
        <Field
          key={k}
          name={`new-${k}`}
          label={t(`items.${k}`)}
          value={f[k]}
          onChange={(v) => setF({ ...f, [k]: v })}
          inputRef={i === 0 ? skuRef : undefined}
        />
      ))}
      <label className="checkbox">
        <input
          type="checkbox"
          name="new-batchTracked"
          checked={batch}
          onChange={(e) => setBatch(e.target.checked)}
        />
        {t('items.batchTracked')}
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          name="new-expiryTracked"
          checked={expiry}
          onChange={(e) => setExpiry(e.target.checked)}
        />
        {t('items.expiryTracked')}
      </label>
      <div className="actions">
        <button type="submit" className="primary">
          {t('items.save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('floor.cancel')}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </form>
  );
}

function LocationsPane() {
  const { t } = useTranslation();
  const locations = useLocations();
  if (locations === null) return <p className="state">{t('app.loading')}</p>;
  if (locations.length === 0) return <p className="state">{t('floor.master.noLocations')}</p>;
  return (
    <table className="floor-table" data-testid="locations">
      <caption className="hint">{t('floor.master.locationsReadOnly')}</caption>
      <thead>
        <tr>
          <th>{t('floor.location')}</th>
          <th>{t('floor.master.locationName')}</th>
          <th>{t('floor.master.kind')}</th>
          <th>{t('items.barcode')}</th>
          <th>{t('floor.master.warehouse')}</th>
        </tr>
      </thead>
      <tbody>
        {locations.map((l) => (
          <tr key={l.id}>
            <td>{l.id}</td>
            <td>{l.name}</td>
            <td>{t(`floor.master.kinds.${l.kind}`)}</td>
            <td>{l.barcode}</td>
            <td>{l.warehouseId}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Rows the preview shows at most (all errors are listed anyway). */
const PREVIEW_ROWS = 200;

/**
 * CSV import: choose a file → it is parsed and checked in full (zod, duplicates in the file and
 * against the tenant's items) → a preview with every row error → import, all or nothing. A file
 * with any error cannot be imported.
 */
function ImportPane() {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const [name, setName] = useState<string | null>(null);
  const [phase, setPhase] = useState<'idle' | 'reading' | 'checking' | 'ready' | 'importing' | 'done'>(
    'idle',
  );
  const [parsed, setParsed] = useState<ItemsCsvParse | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const load = async (file: File) => {
    if (!db) return;
    setName(file.name);
    setParsed(null);
    setFeedback(null);
    setPhase('reading');
    try {
      // A file over the size limit is refused before it is read.
      const tooLarge = csvFileTooLarge(file.size);
      const bytes = tooLarge ? null : new Uint8Array(await file.arrayBuffer());
      setPhase('checking');
      // Let the "checking" state paint before the (synchronous) check of a large file.
      await new Promise((r) => setTimeout(r, 0));
      const existing = bytes ? (await db.items.find().exec()).map((d) => d.toJSON() as ItemDoc) : [];
      const result: ItemsCsvParse = bytes
        ? parseItemsCsvFile(bytes, {
            skus: existing.map((i) => i.sku),
            barcodes: existing.flatMap((i) =>
              [i.barcode ?? '', ...(i.barcodes ?? [])].filter((b) => b !== ''),
            ),
          })
        : { rows: [], errors: tooLarge ? [tooLarge] : [] };
      setParsed(result);
      setPhase('ready');
      if (result.errors.length > 0)
        setFeedback(
          sounded({ kind: 'error', text: t('floor.import.hasErrors', { count: result.errors.length }) }),
        );
    } catch (err) {
      setPhase('idle');
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };

  const run = async () => {
    if (!parsed || parsed.errors.length > 0 || parsed.rows.length === 0) return;
    setPhase('importing');
    setProgress({ done: 0, total: parsed.rows.length });
    try {
      const res = await importItems(floorContext(), parsed.rows, (done, total) =>
        setProgress({ done, total }),
      );
      if (res.errors.length > 0) {
        setParsed({ rows: parsed.rows, errors: res.errors });
        setPhase('ready');
        setFeedback(
          sounded({ kind: 'error', text: t('floor.import.hasErrors', { count: res.errors.length }) }),
        );
        return;
      }
      setPhase('done');
      setFeedback(sounded({ kind: 'ok', text: t('floor.import.done', { count: res.imported }) }));
      setParsed(null);
      if (fileRef.current) fileRef.current.value = '';
    } catch (err) {
      setPhase('ready');
      setFeedback(sounded({ kind: 'error', text: floorErrorText(t, err) }));
    }
  };

  // Problems with a code are said in the user's language; row 0 is the file as a whole.
  const messageOf = (e: CsvError): string =>
    e.code ? t(`floor.importProblem.${e.code}`, { ...e.params, field: e.field }) : e.message;
  const errorText = (e: CsvError): string =>
    e.row === 0
      ? messageOf(e)
      : t('floor.import.rowError', { row: e.row, field: e.field || '—', message: messageOf(e) });
  const errorsByRow = new Map<number, string[]>();
  for (const e of parsed?.errors ?? [])
    errorsByRow.set(e.row, [
      ...(errorsByRow.get(e.row) ?? []),
      e.field ? `${e.field}: ${messageOf(e)}` : messageOf(e),
    ]);
  const canImport =
    parsed !== null && parsed.errors.length === 0 && parsed.rows.length > 0 && phase === 'ready';

  return (
    <div className="pane import" data-testid="item-import">
      <p className="hint">{t('floor.import.help')}</p>
      <label>
        {t('floor.import.file')}
        <input
          ref={fileRef}
          type="file"
          name="import-file"
          accept=".csv,text/csv"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void load(f);
          }}
        />
      </label>
      {(phase === 'reading' || phase === 'checking') && (
        <p className="state" role="status">
          <progress aria-label={t(`floor.import.${phase}`, { name: name ?? '' })} />{' '}
          {t(`floor.import.${phase}`, { name: name ?? '' })}
        </p>
      )}
      {phase === 'importing' && progress && (
        <p role="status">
          <progress
            max={progress.total}
            value={progress.done}
            aria-label={t('floor.import.progress', { done: progress.done, total: progress.total })}
          />{' '}
          {t('floor.import.progress', { done: progress.done, total: progress.total })}
        </p>
      )}
      {parsed && (
        <>
          <p data-testid="import-summary">
            {t('floor.import.summary', { rows: parsed.rows.length, errors: parsed.errors.length })}
          </p>
          {parsed.errors.length > 0 && (
            <ul className="import-errors error" data-testid="import-errors">
              {parsed.errors.slice(0, 100).map((e, i) => (
                <li key={i}>{errorText(e)}</li>
              ))}
            </ul>
          )}
          <table className="floor-table compact" data-testid="import-preview">
            <thead>
              <tr>
                <th>{t('floor.import.row')}</th>
                <th>{t('items.sku')}</th>
                <th>{t('items.name')}</th>
                <th>{t('items.uom')}</th>
                <th>{t('items.barcode')}</th>
                <th>{t('floor.master.tracking')}</th>
              </tr>
            </thead>
            <tbody>
              {parsed.rows.slice(0, PREVIEW_ROWS).map((r) => (
                <tr key={r.sku}>
                  <td className="ok">✓</td>
                  <td>{r.sku}</td>
                  <td>{r.name}</td>
                  <td>{r.uom}</td>
                  <td>{[r.barcode, ...r.barcodes].filter(Boolean).join(', ')}</td>
                  <td>
                    {[
                      r.batchTracked ? t('floor.master.batch') : null,
                      r.expiryTracked ? t('floor.master.expiry') : null,
                    ]
                      .filter(Boolean)
                      .join(' · ') || '—'}
                  </td>
                </tr>
              ))}
              {[...errorsByRow.entries()].slice(0, PREVIEW_ROWS).map(([row, msgs]) => (
                <tr key={`e${row}`} className="row-error" data-row={row} aria-invalid="true">
                  <td>{row}</td>
                  <td colSpan={5}>{msgs.join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <div className="actions">
        <span title={canImport ? undefined : t('floor.import.cannot')}>
          <button type="button" className="primary" disabled={!canImport} onClick={() => void run()}>
            {t('floor.import.run', { count: parsed?.rows.length ?? 0 })}
          </button>
        </span>
      </div>
      <FeedbackLine feedback={feedback} />
    </div>
  );
}
