import { create } from 'zustand';
import type { Confirmation } from '../../shared/audit/chain.js';
import type { DestructiveKind } from '../../shared/audit/destructive.js';

/** What the confirmation dialog asks about. */
export type ConfirmRequest = {
  /** A destructive change (I5), or a floor decision confirmed the same way (packing an order short). */
  kind: DestructiveKind | 'pack-short';
  /** What is destroyed, in words (e.g. "batch LOT-7 of ACME-000003 at A-01-01, 12 pcs"). */
  subject: string;
  /** The value the user must retype (batch number, SKU, order number). */
  identifying: string;
  /** Above the tenant threshold a second user co-signs. */
  needsCosign: boolean;
  /** For the co-signature message. */
  tenantId: string;
  entity: string;
  entityId: string;
  action: string;
};

type Pending = ConfirmRequest & { id: number; resolve: (c: Confirmation | null) => void };
let nextId = 1;

export type ConfirmState = { pending: Pending | null };

/** The open confirmation request (UI state); `requestConfirmation` resolves when it closes. */
export const useConfirm = create<ConfirmState>()(() => ({ pending: null }));

/** Ask the user to confirm a destructive change; null when cancelled. */
export function requestConfirmation(req: ConfirmRequest): Promise<Confirmation | null> {
  return new Promise((resolve) => {
    useConfirm.getState().pending?.resolve(null);
    useConfirm.setState({
      pending: {
        ...req,
        id: nextId++,
        resolve: (c) => {
          useConfirm.setState({ pending: null });
          resolve(c);
        },
      },
    });
  });
}
