import { create } from 'zustand';

/** Progress of the first download of a tenant. */
export type FirstSyncProgress = { done: number; total: number };

/** Sync status shown by the status control (UI state only). */
export type SyncState = {
  online: boolean;
  active: boolean;
  lastSyncAt: string | null;
  error: string | null;
  progress: FirstSyncProgress | null;
  setOnline(online: boolean): void;
  setActive(active: boolean): void;
  markSynced(at: string): void;
  setError(error: string | null): void;
  setProgress(p: FirstSyncProgress | null): void;
  reset(): void;
};

export const useSyncStatus = create<SyncState>()((set) => ({
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  active: false,
  lastSyncAt: null,
  error: null,
  progress: null,
  setOnline: (online) => set({ online }),
  setActive: (active) => set({ active }),
  // A request that was in flight when the machine went offline may still complete: it proves the
  // server answered then, not that we are online now — the OS's word wins when it says offline.
  markSynced: (lastSyncAt) =>
    set({ lastSyncAt, error: null, online: typeof navigator === 'undefined' ? true : navigator.onLine }),
  setError: (error) => set({ error }),
  setProgress: (progress) => set({ progress }),
  reset: () => set({ active: false, lastSyncAt: null, error: null, progress: null }),
}));
