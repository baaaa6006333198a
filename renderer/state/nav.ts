import { create } from 'zustand';

/** Floor screens (receiving, outbound, cycle count, master data, expiry and low stock, move stock). */
export type FloorView = 'receiving' | 'outbound' | 'count' | 'masterData' | 'stockWatch' | 'transfer';

/** Top-level screens of the signed-in app. */
export type View =
  | 'inventory'
  | 'dashboard'
  | 'reports'
  | 'print'
  | 'grants'
  | 'policy'
  | 'sites'
  | 'audit'
  | 'alerts'
  | 'attention'
  | FloorView;

export type NavState = { view: View; go(view: View): void };

/** Which screen is shown (UI state only). */
export const useNav = create<NavState>()((set) => ({ view: 'inventory', go: (view) => set({ view }) }));
