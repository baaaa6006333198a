import { useCallback, useEffect, useState } from 'react';
import type { Grant, GrantList, TenantSummary } from '../../../shared/api/grants.js';
import { apiClient } from '../../data/workspace.js';
import { remoteError, type RemoteError } from './model.js';

/** A server resource as a screen sees it. */
export type Remote<T> =
  { status: 'loading' } | { status: 'ready'; data: T } | { status: 'error'; error: RemoteError };

/**
 * GET a JSON resource of the API; `reload()` fetches again and keeps showing the previous answer
 * meanwhile (no flicker after an approve). Answers of an outdated request are dropped.
 */
export function useRemote<T>(path: string): { state: Remote<T>; reload: () => void } {
  const [state, setState] = useState<Remote<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const api = await apiClient();
        const data = await api.getJson<T>(path);
        if (live) setState({ status: 'ready', data });
      } catch (e) {
        if (live) setState({ status: 'error', error: remoteError(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [path, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { state, reload };
}

/** Tenants the request form offers. */
export function useTenantSummaries(): Remote<TenantSummary[]> {
  return useRemote<TenantSummary[]>('/api/tenants').state;
}

/** Grants the caller may see. */
export function useGrants(): { state: Remote<Grant[]>; reload: () => void } {
  const { state, reload } = useRemote<GrantList>('/api/grants');
  const mapped: Remote<Grant[]> =
    state.status === 'ready' ? { status: 'ready', data: state.data.grants } : state;
  return { state: mapped, reload };
}

/** Ticks every `ms` so countdowns move without fetching again. */
export function useNow(ms: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}
