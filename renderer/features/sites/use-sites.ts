import { useCallback, useEffect, useState } from 'react';
import type {
  LocationCreateBody,
  LocationUpdateBody,
  SiteLocation,
  SitesResponse,
  SiteWarehouse,
  WarehouseCreateBody,
  WarehouseUpdateBody,
} from '../../../shared/api/sites.js';
import { apiClient } from '../../data/workspace.js';

/** The site as the screen sees it. */
export type SitesState =
  { status: 'loading' } | { status: 'ready'; data: SitesResponse } | { status: 'error'; error: unknown };

/**
 * Warehouses and locations from the server (site data is managed online only). `reload()` keeps
 * showing the previous answer meanwhile; answers of an outdated request are dropped.
 */
export function useSites(): { state: SitesState; reload: () => void } {
  const [state, setState] = useState<SitesState>({ status: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const data = await (await apiClient()).getJson<SitesResponse>('/api/sites');
        if (live) setState({ status: 'ready', data });
      } catch (error) {
        if (live) setState({ status: 'error', error });
      }
    })();
    return () => {
      live = false;
    };
  }, [round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { state, reload };
}

const path = (kind: 'warehouses' | 'locations', id?: string) =>
  `/api/sites/${kind}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;

export const createLocation = async (body: LocationCreateBody): Promise<SiteLocation> =>
  (await apiClient()).sendJson<SiteLocation>('POST', path('locations'), body);

export const updateLocation = async (id: string, body: LocationUpdateBody): Promise<SiteLocation> =>
  (await apiClient()).sendJson<SiteLocation>('PUT', path('locations', id), body);

export const createWarehouse = async (body: WarehouseCreateBody): Promise<SiteWarehouse> =>
  (await apiClient()).sendJson<SiteWarehouse>('POST', path('warehouses'), body);

export const updateWarehouse = async (id: string, body: WarehouseUpdateBody): Promise<SiteWarehouse> =>
  (await apiClient()).sendJson<SiteWarehouse>('PUT', path('warehouses', id), body);
