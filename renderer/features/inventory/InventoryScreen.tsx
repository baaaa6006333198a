import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { canRead } from '../../../shared/access/policy.js';
import { useWorkspace } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { ItemEditor } from '../items/ItemEditor.js';
import { filterRows, warmSearch } from './model.js';
import { useInventory } from './use-inventory.js';

const ROW_HEIGHT = 36;

/** Items with on-hand stock: virtualized grid, search by SKU, name or barcode. */
export function InventoryScreen() {
  const { t, i18n } = useTranslation();
  const db = useWorkspace((s) => s.db);
  const tenantId = useWorkspace((s) => s.tenantId);
  const { rows } = useInventory(db);
  const [query, setQuery] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const deferred = useDeferredValue(query);
  const shown = useMemo(() => (rows ? filterRows(rows, deferred) : []), [rows, deferred]);
  // The search text of every row, built while the page is idle: the first search is a fast one.
  useEffect(() => (rows ? warmSearch(rows) : undefined), [rows]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  // The UI mirrors the policy; the server already removed what this role may not read.
  const principal = usePrincipal();
  const showPrice =
    principal !== null && tenantId !== null && canRead(principal, tenantId, 'items', 'purchasePrice');
  const money = new Intl.NumberFormat(i18n.language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const cols = showPrice ? 'inv-grid with-price' : 'inv-grid';

  return (
    <section className="inventory card" aria-labelledby="inv-title">
      <div className="section-head">
        <h2 id="inv-title">{t('inventory.title')}</h2>
        <input
          type="search"
          className="search"
          aria-label={t('inventory.search')}
          placeholder={t('inventory.search')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        {rows && (
          <span className="count" data-testid="inventory-count">
            {t('inventory.count', { shown: shown.length, total: rows.length })}
          </span>
        )}
      </div>
      <div role="table" aria-label={t('inventory.title')} aria-rowcount={shown.length + 1} className="table">
        <div role="row" className={`${cols} header`}>
          <span role="columnheader">{t('inventory.sku')}</span>
          <span role="columnheader">{t('inventory.name')}</span>
          <span role="columnheader">{t('inventory.barcode')}</span>
          <span role="columnheader">{t('inventory.uom')}</span>
          <span role="columnheader" className="num">
            {t('inventory.onHand')}
          </span>
          {showPrice && (
            <span role="columnheader" className="num" data-testid="price-header">
              {t('inventory.purchasePrice')}
            </span>
          )}
        </div>
        {rows === null ? (
          <p className="state">{t('app.loading')}</p>
        ) : rows.length === 0 ? (
          <p className="state">{t('inventory.empty')}</p>
        ) : shown.length === 0 ? (
          <p className="state">{t('inventory.noMatch', { query })}</p>
        ) : (
          <div ref={scrollRef} className="scroller" data-testid="inventory-scroller">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((v) => {
                const r = shown[v.index];
                if (!r) return null;
                return (
                  <div
                    key={r.id}
                    role="row"
                    aria-rowindex={v.index + 2}
                    data-sku={r.sku}
                    tabIndex={0}
                    className={`${cols} clickable`}
                    onClick={() => setEditing(r.id)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') setEditing(r.id);
                    }}
                    style={{
                      position: 'absolute',
                      top: 0,
                      left: 0,
                      right: 0,
                      height: ROW_HEIGHT,
                      transform: `translateY(${v.start}px)`,
                    }}
                  >
                    <span role="cell">{r.sku}</span>
                    <span role="cell">{r.name}</span>
                    <span role="cell">{r.barcode ?? ''}</span>
                    <span role="cell">{r.uom}</span>
                    <span
                      role="cell"
                      className="num on-hand"
                      data-testid="on-hand"
                      title={r.includesPending ? t('inventory.pendingMark') : undefined}
                    >
                      {r.onHand}
                      {r.includesPending ? ' *' : ''}
                    </span>
                    {showPrice && (
                      <span role="cell" className="num price">
                        {typeof r.purchasePrice === 'number' ? money.format(r.purchasePrice) : ''}
                      </span>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
        )}
      </div>
      {editing && <ItemEditor itemId={editing} onClose={() => setEditing(null)} />}
    </section>
  );
}
