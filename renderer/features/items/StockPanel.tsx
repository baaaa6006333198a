import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { combineLatest, map, Observable } from 'rxjs';
import { canWriteEntity } from '../../../shared/access/policy.js';
import { judgeChange, needsCosign } from '../../../shared/audit/destructive.js';
import type { BalanceDoc, ItemDoc, MovementDoc } from '../../../shared/domain/schemas.js';
import { adjustmentFor, onHandByLocation } from '../../../shared/domain/stock.js';
import { effectiveSeq, useAcks } from '../../data/acks.js';
import { balanceBase } from '../../data/balance-base.js';
import { currentActor, useWorkspace } from '../../data/workspace.js';
import { recordMovement } from '../../data/writes.js';
import { requestConfirmation } from '../../state/confirm.js';
import { usePrincipal, useSession } from '../../state/session.js';

type Row = { locationId: string; batch: string | null; quantity: number };

/**
 * Stock of one item per location and batch, with the destructive stock actions: write off a
 * batch (all of it leaves) and correct a quantity to what was counted. Both are movements in
 * the ledger, confirmed by retyping the batch (or SKU), and co-signed above the threshold.
 */
export function StockPanel({ item }: { item: ItemDoc }) {
  const { t } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const tenantId = useWorkspace((s) => s.tenantId);
  const policies = useSession((s) => s.policies);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [counting, setCounting] = useState<string | null>(null);
  const [counted, setCounted] = useState('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  useEffect(() => {
    if (!db) return;
    const balances$ = db.balances
      .find({ selector: { itemId: item.id } })
      .$.pipe(map((d) => d.map((x) => x.toJSON() as BalanceDoc)));
    const movements$ = db.movements
      .find({ selector: { itemId: item.id } })
      .$.pipe(map((d) => d.map((x) => x.toJSON() as MovementDoc)));
    const acks$ = new Observable<ReadonlyMap<string, number>>((sub) => {
      sub.next(useAcks.getState().seqs);
      return useAcks.subscribe((s) => sub.next(s.seqs));
    });
    const sub = combineLatest([balances$, movements$, acks$]).subscribe(([b, m, acks]) =>
      setRows(
        onHandByLocation(
          b,
          m.map((x) => ({ ...x, seq: effectiveSeq(x, acks, balanceBase(db.name)) })),
          item.id,
        ),
      ),
    );
    return () => sub.unsubscribe();
  }, [db, item.id]);

  const principal = usePrincipal();
  const allowed = principal !== null && tenantId !== null && canWriteEntity(principal, tenantId, 'movements');
  const settings = tenantId ? policies[tenantId]?.settings : undefined;
  const key = (r: Row) => `${r.locationId}|${r.batch ?? ''}`;

  const move = async (r: Row, quantity: number, direction: 'in' | 'out', kindNote: string) => {
    if (!db || !tenantId) return;
    const actor = currentActor();
    const movement: MovementDoc = {
      id: crypto.randomUUID(),
      tenantId,
      itemId: item.id,
      type: 'adjustment',
      quantity,
      fromLocationId: direction === 'out' ? r.locationId : null,
      toLocationId: direction === 'in' ? r.locationId : null,
      batch: r.batch,
      note: kindNote,
      reversalOf: null,
      createdAt: new Date().toISOString(),
      createdBy: actor.userId,
      deviceId: actor.deviceId,
      seq: 0,
    };
    const verdict = judgeChange({
      entity: 'movements',
      before: null,
      after: movement,
      skuOf: () => item.sku,
    });
    if (!verdict.destructive) return;
    const confirmation = await requestConfirmation({
      kind: verdict.kind,
      subject: t('stock.subject', { quantity, sku: item.sku, batch: r.batch ?? '—', location: r.locationId }),
      identifying: verdict.identifying,
      needsCosign: needsCosign(verdict, settings?.cosignAboveQuantity ?? null),
      tenantId,
      entity: 'movements',
      entityId: movement.id,
      action: 'create',
    });
    if (!confirmation) return;
    try {
      await recordMovement(db, actor, movement, { reason: confirmation.reason, confirmation });
      setMessage({ kind: 'ok', text: t('stock.saved') });
      setCounting(null);
    } catch (e) {
      setMessage({
        kind: 'error',
        text: t('stock.failed', { message: e instanceof Error ? e.message : String(e) }),
      });
    }
  };

  const applyCount = async (r: Row) => {
    const n = Number(counted.replace(',', '.'));
    if (!Number.isFinite(n) || n < 0) return setMessage({ kind: 'error', text: t('stock.badCount') });
    const adj = adjustmentFor(r.quantity, n);
    if (!adj) {
      setCounting(null);
      return setMessage({ kind: 'ok', text: t('stock.noDifference') });
    }
    await move(r, adj.quantity, adj.direction, `count ${r.quantity} → ${n}`);
  };

  return (
    <section className="stock-panel" aria-labelledby="stock-title">
      <h3 id="stock-title">{t('stock.title')}</h3>
      {rows === null ? (
        <p className="state">{t('app.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="state">{t('stock.empty')}</p>
      ) : (
        <table className="stock-table">
          <thead>
            <tr>
              <th>{t('stock.location')}</th>
              <th>{t('stock.batch')}</th>
              <th className="num">{t('stock.quantity')}</th>
              <th>{t('stock.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={key(r)} data-location={r.locationId} data-batch={r.batch ?? ''}>
                <td>{r.locationId}</td>
                <td>{r.batch ?? '—'}</td>
                <td className="num" data-testid="stock-qty">
                  {r.quantity}
                </td>
                <td>
                  {counting === key(r) ? (
                    <form
                      className="inline"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void applyCount(r);
                      }}
                    >
                      <label>
                        {t('stock.counted')}
                        <input
                          autoFocus
                          inputMode="decimal"
                          value={counted}
                          onChange={(e) => setCounted(e.target.value)}
                        />
                      </label>
                      <button type="submit">{t('stock.apply')}</button>
                    </form>
                  ) : (
                    <span title={allowed ? undefined : t('stock.notAllowed')}>
                      <button
                        type="button"
                        disabled={!allowed}
                        onClick={() => {
                          setCounting(key(r));
                          setCounted(String(r.quantity));
                        }}
                      >
                        {t('stock.adjust')}
                      </button>{' '}
                      <button
                        type="button"
                        className="danger"
                        disabled={!allowed || r.quantity <= 0}
                        onClick={() => void move(r, r.quantity, 'out', 'write-off')}
                      >
                        {t('stock.writeOff')}
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {message && (
        <p role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind}>
          {message.text}
        </p>
      )}
    </section>
  );
}
