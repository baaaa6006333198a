import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { canWriteEntity } from '../../../shared/access/policy.js';
import { countDifferences } from '../../../shared/domain/floor.js';
import { useActiveTenant, useWorkspace } from '../../data/workspace.js';
import { requestConfirmation } from '../../state/confirm.js';
import { usePrincipal, useSession } from '../../state/session.js';
import {
  countItem,
  countLocation,
  floorContext,
  FloorError,
  type PendingAdjustment,
  useBalancesByItem,
  useBalancesByLocation,
} from '../../data/floor.js';
import { floorErrorText } from './errors.js';
import { useScanLookup } from './lookup.js';
import { countKey, readCountSheet } from './model.js';
import { FeedbackLine, sounded, type Feedback } from './parts.js';
import { ScanField } from './ScanField.js';
import type { ScanHit } from './scan.js';
import { useItemsById } from './stock-hooks.js';

type Mode = 'location' | 'item';

/**
 * Cycle count of one bin or one item: scan it, type what is there row by row (Enter moves down),
 * review the differences and post them as adjustment movements — each confirmed by retyping the
 * batch or SKU with a reason, and co-signed above the tenant's threshold.
 */
export function CountScreen() {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const policies = useSession((s) => s.policies);
  const lookup = useScanLookup();
  const allowed = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'movements');
  const threshold = tenantId ? (policies[tenantId]?.settings.cosignAboveQuantity ?? null) : null;

  const [mode, setMode] = useState<Mode>('location');
  const [code, setCode] = useState('');
  const [hit, setHit] = useState<ScanHit | null>(null);
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);
  const scanRef = useRef<HTMLInputElement>(null);
  const postRef = useRef<HTMLButtonElement>(null);
  const firstRowRef = useRef<HTMLInputElement>(null);

  const target =
    hit?.kind === 'location'
      ? { locationId: hit.locationId }
      : hit?.kind === 'item'
        ? { itemId: hit.item.id }
        : null;
  const byBin = useBalancesByLocation(hit?.kind === 'location' ? hit.locationId : null);
  const byItem = useBalancesByItem(hit?.kind === 'item' ? hit.item.id : null);
  const rows = hit?.kind === 'location' ? byBin : hit?.kind === 'item' ? byItem : null;
  const items = useItemsById((rows ?? []).map((r) => r.itemId));

  // A fresh target starts a fresh sheet.
  const targetKey = target ? JSON.stringify(target) : '';
  useEffect(() => setTyped({}), [targetKey]);
  // After a scan the sheet loads asynchronously; focus its first row once it is there.
  const focusSheet = useRef(false);
  const [scanNo, setScanNo] = useState(0);
  const loaded = rows !== null;
  useEffect(() => {
    if (!focusSheet.current || !loaded) return;
    focusSheet.current = false;
    firstRowRef.current?.focus();
    firstRowRef.current?.select();
  }, [loaded, targetKey, scanNo]);

  const sheet = (rows ?? []).map((r) => ({
    key: countKey(r),
    itemId: r.itemId,
    locationId: r.locationId,
    batch: r.batch ?? null,
    expected: r.quantity,
    typed: typed[countKey(r)] ?? '',
  }));
  const read = readCountSheet(sheet);
  const complete = sheet.length > 0 && read.missing.length === 0 && read.invalid.length === 0;
  const diffs = complete
    ? countDifferences(
        sheet.map((r) => ({
          itemId: r.itemId,
          locationId: r.locationId,
          batch: r.batch,
          quantity: r.expected,
        })),
        read.lines,
        threshold,
      )
    : [];
  const diffOf = (key: string) => diffs.find((d) => countKey(d) === key);

  const clear = () => {
    setCode('');
    setHit(null);
    setTyped({});
    scanRef.current?.focus();
  };

  const post = async () => {
    if (!db || !tenantId || busy || !complete) return;
    if (diffs.length === 0) {
      setFeedback(sounded({ kind: 'ok', text: t('floor.count.noDifferences') }));
      return clear();
    }
    setBusy(true);
    try {
      const ctx = floorContext();
      const confirm = (d: PendingAdjustment) => {
        return requestConfirmation({
          kind: d.adjustment.toLocationId === null ? 'write-off' : 'quantity-correction',
          subject: t('floor.count.subject', {
            sku: d.sku,
            location: d.locationId,
            batch: d.batch ?? '—',
            expected: d.expected,
            counted: d.counted,
          }),
          identifying: d.identifying,
          needsCosign: d.needsCosign,
          tenantId: ctx.tenantId,
          entity: 'movements',
          entityId: d.movementId,
          action: 'create',
        });
      };
      const written =
        hit?.kind === 'location'
          ? await countLocation(
              ctx,
              hit.locationId,
              read.lines.map((l) => ({ itemId: l.itemId, batch: l.batch, quantity: l.quantity })),
              confirm,
            )
          : hit?.kind === 'item'
            ? await countItem(
                ctx,
                hit.item.id,
                read.lines.map((l) => ({
                  itemId: l.itemId,
                  batch: l.batch,
                  quantity: l.quantity,
                  locationId: l.locationId,
                })),
                confirm,
              )
            : [];
      setFeedback(sounded({ kind: 'ok', text: t('floor.count.posted', { count: written.length }) }));
      clear();
    } catch (err) {
      const stopped = err instanceof FloorError && err.code === 'confirmation-required';
      setFeedback(
        sounded({
          kind: 'error',
          text: stopped
            ? t('floor.count.stopped', { posted: Number(err.details['written'] ?? 0), total: diffs.length })
            : floorErrorText(t, err),
        }),
      );
    } finally {
      setBusy(false);
    }
  };

  if (!lookup) return <p className="state">{t('app.loading')}</p>;
  return (
    <section
      className="card floor-screen cycle-count"
      aria-labelledby="count-title"
      data-testid="count-screen"
    >
      <h2 id="count-title">{t('floor.count.title')}</h2>
      <fieldset className="segmented" disabled={!allowed}>
        <legend>{t('floor.count.mode')}</legend>
        {(['location', 'item'] as const).map((m) => (
          <label key={m} className="radio">
            <input
              type="radio"
              name="count-mode"
              value={m}
              checked={mode === m}
              onChange={() => {
                setMode(m);
                clear();
              }}
            />
            {t(`floor.count.mode_${m}`)}
          </label>
        ))}
      </fieldset>
      <ScanField
        name="count-target"
        label={mode === 'location' ? t('floor.count.scanBin') : t('floor.count.scanItem')}
        accept={[mode]}
        lookup={lookup}
        value={code}
        onChange={setCode}
        inputRef={scanRef}
        hit={hit}
        autoFocus
        disabled={!allowed}
        onRecognized={(h) => {
          focusSheet.current = true;
          setScanNo((n) => n + 1);
          setHit(h);
        }}
        onCancel={clear}
      />
      {!allowed && <p className="hint">{t('floor.notAllowed')}</p>}
      {target && rows === null && <p className="state">{t('app.loading')}</p>}
      {target && rows !== null && rows.length === 0 && <p className="state">{t('floor.count.empty')}</p>}
      {target && rows !== null && rows.length > 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void post();
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') clear();
          }}
        >
          <table className="floor-table" data-testid="count-sheet">
            <thead>
              <tr>
                <th>{t('floor.item')}</th>
                <th>{t('floor.location')}</th>
                <th>{t('floor.batch')}</th>
                <th className="num">{t('floor.count.expected')}</th>
                <th className="num">{t('floor.count.counted')}</th>
                <th className="num">{t('floor.count.difference')}</th>
              </tr>
            </thead>
            <tbody>
              {sheet.map((r, i) => {
                const d = diffOf(r.key);
                const bad = read.invalid.includes(r.key);
                const sku = items.get(r.itemId)?.sku ?? '…';
                return (
                  <tr
                    key={r.key}
                    data-sku={sku}
                    data-location={r.locationId}
                    className={d ? 'diff' : undefined}
                  >
                    <td>
                      {sku} <span className="hint">{items.get(r.itemId)?.name}</span>
                    </td>
                    <td>{r.locationId}</td>
                    <td>{r.batch ?? '—'}</td>
                    <td className="num">{r.expected}</td>
                    <td className="num">
                      <input
                        ref={i === 0 ? firstRowRef : undefined}
                        name={`counted-${i}`}
                        aria-label={t('floor.count.countedFor', {
                          sku,
                          location: r.locationId,
                          batch: r.batch ?? '—',
                        })}
                        inputMode="decimal"
                        autoComplete="off"
                        className="qty-input"
                        value={r.typed}
                        aria-invalid={bad || undefined}
                        onChange={(e) => setTyped({ ...typed, [r.key]: e.target.value })}
                        onKeyDown={(e) => {
                          if (e.key !== 'Enter') return;
                          e.preventDefault();
                          const inputs =
                            e.currentTarget.form?.querySelectorAll<HTMLInputElement>('input.qty-input');
                          const next = inputs?.[i + 1];
                          if (next) {
                            next.focus();
                            next.select();
                          } else postRef.current?.focus();
                        }}
                      />
                    </td>
                    <td
                      className={`num ${d ? (d.diff > 0 ? 'plus' : 'minus') : ''}`}
                      data-testid="count-diff"
                    >
                      {d ? (d.diff > 0 ? `+${d.diff}` : String(d.diff)) : complete ? '0' : ''}
                      {d?.needsCosign && <span className="badge"> {t('floor.count.cosign')}</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="hint" data-testid="count-summary">
            {!complete
              ? t('floor.count.fillAll', { count: read.missing.length })
              : t('floor.count.summary', { count: diffs.length })}
          </p>
          <div className="actions">
            <button ref={postRef} type="submit" className="primary big" disabled={!complete || busy}>
              {diffs.length > 0 ? t('floor.count.post', { count: diffs.length }) : t('floor.count.finish')}
            </button>
            <button type="button" onClick={clear}>
              {t('floor.cancel')}
            </button>
          </div>
        </form>
      )}
      <FeedbackLine feedback={feedback} />
    </section>
  );
}
