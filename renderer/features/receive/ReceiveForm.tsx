import { useRef, useState, type SyntheticEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWriteEntity } from '../../../shared/access/policy.js';
import type { ItemDoc } from '../../../shared/domain/schemas.js';
import { currentActor, deviceId, useWorkspace } from '../../data/workspace.js';
import { recordMovement } from '../../data/writes.js';
import { usePrincipal, useSession } from '../../state/session.js';
import { useSyncStatus } from '../../state/sync.js';
import { checkReceive, receiptMovement } from './model.js';

type Feedback = { kind: 'ok' | 'error'; text: string } | null;

/**
 * Receive stock: scan or type the item, quantity, location and batch, each field moving on with
 * Enter (a USB scanner types and presses Enter). The movement is written to the local database
 * and only then reported as saved; replication pushes it when the network allows.
 */
export function ReceiveForm() {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const tenantId = useWorkspace((s) => s.tenantId);
  const user = useSession((s) => s.user);
  const online = useSyncStatus((s) => s.online);
  const [code, setCode] = useState('');
  const [item, setItem] = useState<ItemDoc | null>(null);
  const [quantity, setQuantity] = useState('');
  const [location, setLocation] = useState('RCV-01');
  const [batch, setBatch] = useState('');
  const [feedback, setFeedback] = useState<Feedback>(null);
  const [busy, setBusy] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);
  const qtyRef = useRef<HTMLInputElement>(null);
  const locRef = useRef<HTMLInputElement>(null);
  const batchRef = useRef<HTMLInputElement>(null);

  const principal = usePrincipal();
  const allowed = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'movements');

  const resolveItem = async (): Promise<ItemDoc | null> => {
    if (!db) return null;
    const c = code.trim();
    if (c === '') return null;
    const found =
      (await db.items.findOne({ selector: { sku: c } }).exec()) ??
      (await db.items.findOne({ selector: { barcode: c } }).exec());
    const doc = found ? (found.toJSON() as ItemDoc) : null;
    setItem(doc);
    if (!doc) setFeedback({ kind: 'error', text: t('receive.unknownItem', { code: c }) });
    else setFeedback(null);
    return doc;
  };

  const next = (
    e: KeyboardEvent<HTMLInputElement>,
    target: HTMLInputElement | null,
    before?: () => Promise<boolean>,
  ) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    void (async () => {
      if (before && !(await before())) return;
      target?.focus();
      target?.select();
    })();
  };

  const submit = async (e?: SyntheticEvent) => {
    e?.preventDefault();
    if (!db || !tenantId || !user || busy) return;
    setBusy(true);
    try {
      const it =
        item && (item.sku === code.trim() || item.barcode === code.trim()) ? item : await resolveItem();
      if (!it) return;
      const check = checkReceive({ quantity, location, batch });
      if (!check.ok) {
        setFeedback({ kind: 'error', text: t(check.error) });
        return;
      }
      const movement = receiptMovement({
        id: crypto.randomUUID(),
        tenantId,
        itemId: it.id,
        quantity: check.quantity,
        location: check.location,
        batch: check.batch,
        userId: user.id,
        deviceId: deviceId(),
        now: new Date(),
      });
      await recordMovement(db, currentActor(), movement);
      const args = { quantity: check.quantity, sku: it.sku, location: check.location };
      setFeedback({ kind: 'ok', text: online ? t('receive.saved', args) : t('receive.savedOffline', args) });
      setCode('');
      setItem(null);
      setQuantity('');
      setBatch('');
      codeRef.current?.focus();
    } catch (err) {
      setFeedback({
        kind: 'error',
        text: t('receive.failed', { message: err instanceof Error ? err.message : String(err) }),
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="receive card" aria-labelledby="receive-title">
      <h2 id="receive-title">{t('receive.title')}</h2>
      <form onSubmit={(e) => void submit(e)}>
        <fieldset disabled={!allowed || !db} title={allowed ? undefined : t('receive.notAllowed')}>
          <label>
            {t('receive.item')}
            <input
              ref={codeRef}
              name="item"
              value={code}
              autoComplete="off"
              onChange={(e) => setCode(e.target.value)}
              onKeyDown={(e) => next(e, qtyRef.current, async () => (await resolveItem()) !== null)}
            />
          </label>
          {item && (
            <p className="resolved" data-testid="resolved-item">
              {item.sku} — {item.name}
            </p>
          )}
          <label>
            {t('receive.quantity')}
            <input
              ref={qtyRef}
              name="quantity"
              inputMode="decimal"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
              onKeyDown={(e) => next(e, locRef.current)}
            />
          </label>
          <label>
            {t('receive.location')}
            <input
              ref={locRef}
              name="location"
              value={location}
              onChange={(e) => setLocation(e.target.value)}
              onKeyDown={(e) => next(e, batchRef.current)}
            />
          </label>
          <label>
            {t('receive.batch')}
            <input ref={batchRef} name="batch" value={batch} onChange={(e) => setBatch(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {t('receive.submit')}
          </button>
        </fieldset>
        {!allowed && <p className="hint">{t('receive.notAllowed')}</p>}
        {feedback && (
          <p
            role={feedback.kind === 'error' ? 'alert' : 'status'}
            className={feedback.kind === 'error' ? 'error' : 'ok'}
          >
            {feedback.text}
          </p>
        )}
      </form>
    </section>
  );
}
