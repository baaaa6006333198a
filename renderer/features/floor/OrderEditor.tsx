import type { SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { canWrite } from '../../../shared/access/policy.js';
import { orderPicked, type OrderDoc } from '../../../shared/domain/floor.js';
import { floorContext, updateOrder, useMovementsOf, type OrderPatch } from '../../data/floor.js';
import { useActiveTenant } from '../../data/workspace.js';
import { usePrincipal } from '../../state/session.js';
import { EditorShell, HeaderFields, LinesEditor, useDocEditor } from './DocEditor.js';
import { useItemsById } from './stock-hooks.js';

type CustomerKey = 'customer' | 'phone' | 'email' | 'line1' | 'city' | 'postalCode' | 'country';
const CUSTOMER_KEYS: readonly CustomerKey[] = [
  'customer',
  'phone',
  'email',
  'line1',
  'city',
  'postalCode',
  'country',
];
/** The order field each form field writes (the field policy decides per field). */
const FIELD_OF: Record<CustomerKey, 'customerName' | 'customerPhone' | 'customerEmail' | 'shipTo'> = {
  customer: 'customerName',
  phone: 'customerPhone',
  email: 'customerEmail',
  line1: 'shipTo',
  city: 'shipTo',
  postalCode: 'shipTo',
  country: 'shipTo',
};
const LABEL_OF: Record<CustomerKey, string> = {
  customer: 'floor.outbound.customer',
  phone: 'floor.outbound.edit.phone',
  email: 'floor.outbound.edit.email',
  line1: 'floor.outbound.line1',
  city: 'floor.outbound.city',
  postalCode: 'floor.outbound.postalCode',
  country: 'floor.outbound.country',
};

/** The customer fields of an order as form values (a masked or hidden address is empty). */
function initialValues(order: OrderDoc): Record<CustomerKey, string> {
  const a = typeof order.shipTo === 'object' && order.shipTo !== null ? order.shipTo : null;
  return {
    customer: order.customerName ?? '',
    phone: order.customerPhone ?? '',
    email: order.customerEmail ?? '',
    line1: a?.line1 ?? '',
    city: a?.city ?? '',
    postalCode: a?.postalCode ?? '',
    country: a?.country ?? '',
  };
}

/**
 * Edit an order after it was created (issue #5): customer and ship-to (only what the role may
 * write; the rest is not shown), and — while the order is open — its lines: quantities, removal
 * (confirmed on the line: an ordinary edit, not the order's cancellation) and new lines by scanner.
 * Enter moves on, Ctrl+Enter saves, Esc cancels. The edit is sent as changes against what the form
 * showed, so a line another PC added meanwhile survives. Writes locally (offline too); syncs later.
 */
export function OrderEditor({
  order,
  onDone,
}: {
  order: OrderDoc;
  onDone: (message: string | null) => void;
}) {
  const { t } = useTranslation();
  const tenantId = useActiveTenant();
  const principal = usePrincipal();
  const may = (field: string) =>
    principal !== null && tenantId !== null && canWrite(principal, tenantId, 'orders', field);
  const keys = CUSTOMER_KEYS.filter((k) => may(FIELD_OF[k]));
  const linesEditable = order.status === 'open' && may('lines');

  const editor = useDocEditor({
    fields: CUSTOMER_KEYS,
    writable: keys,
    initial: initialValues(order),
    lines: order.lines,
    linesEditable,
  });
  const { lookup, edits, initial, values: f, fieldRefs, busy, fail } = editor;
  const items = useItemsById(order.lines.map((l) => l.itemId));
  const movements = useMovementsOf(order.id);
  const picked = movements ? orderPicked(order, movements) : null;
  const sku = (itemId: string) => items.get(itemId)?.sku ?? '…';

  const save = async (e: SyntheticEvent) => {
    e.preventDefault();
    if (busy || edits.confirming !== null) return;
    const missing = keys.find(
      (k) => ['customer', 'line1', 'city', 'country'].includes(k) && f[k].trim() === '',
    );
    if (missing) return fail(t('floor.outbound.edit.required'), fieldRefs[missing]);
    const patch: OrderPatch = {};
    if (keys.includes('customer') && f.customer !== initial.customer) patch.customerName = f.customer;
    if (keys.includes('phone') && f.phone !== initial.phone) patch.customerPhone = f.phone;
    if (keys.includes('email') && f.email !== initial.email) patch.customerEmail = f.email;
    if (
      keys.includes('city') &&
      (['line1', 'city', 'postalCode', 'country'] as const).some((k) => f[k] !== initial[k])
    ) {
      const before = typeof order.shipTo === 'object' && order.shipTo !== null ? order.shipTo : null;
      patch.shipTo = {
        line1: f.line1,
        line2: before?.line2 ?? null,
        city: f.city,
        postalCode: f.postalCode || null,
        country: f.country,
      };
    }
    if (linesEditable) {
      const lines = edits.changes();
      if (lines.bad)
        return fail(
          t('floor.outbound.edit.badQty', { sku: sku(lines.bad.itemId) }),
          edits.qtyRef(lines.bad.lineId),
        );
      if (edits.live.length + edits.added.length === 0)
        return fail(t('floor.outbound.edit.needOne'), edits.scanRef);
      Object.assign(patch, lines.changes);
    }
    await editor.commit(
      Object.keys(patch).length === 0,
      async () => {
        await updateOrder(floorContext(), order.id, patch);
        return t('floor.outbound.edit.saved', { number: order.number });
      },
      t('floor.outbound.edit.unchanged'),
      onDone,
    );
  };

  if (!lookup) return null;
  return (
    <EditorShell
      testId="order-editor"
      className="order-editor"
      title={t('floor.outbound.edit.title', { number: order.number })}
      strings="floor.outbound.edit"
      editor={editor}
      onSubmit={(e) => void save(e)}
      onCancel={() => onDone(null)}
    >
      <HeaderFields
        name="order-edit"
        editor={editor}
        fields={CUSTOMER_KEYS}
        writable={keys}
        label={(k) => t(LABEL_OF[k])}
      />
      {!linesEditable ? (
        <p className="hint" data-testid="lines-fixed">
          {order.status === 'open' ? t('floor.outbound.edit.cannot') : t('floor.outbound.edit.linesFixed')}
        </p>
      ) : (
        <LinesEditor
          name="order-edit"
          strings="floor.outbound.edit"
          lines={order.lines}
          editor={editor}
          lookup={lookup}
          sku={sku}
          note={(l) => {
            const got = picked?.get(l.lineId) ?? 0;
            return got > 0 ? t('floor.outbound.edit.pickedHint', { count: got }) : null;
          }}
        />
      )}
    </EditorShell>
  );
}
