import { afterEach, describe, expect, it, vi } from 'vitest';
import { useSyncStatus } from '../../../renderer/state/sync.js';

afterEach(() => {
  vi.unstubAllGlobals();
  useSyncStatus.setState({ online: true });
});

describe('sync status', () => {
  it('a sync that completes after the machine went offline does not show it online again', () => {
    vi.stubGlobal('navigator', { onLine: false });
    useSyncStatus.getState().setOnline(false);
    useSyncStatus.getState().markSynced('2026-11-26T12:00:00.000Z');
    expect(useSyncStatus.getState().online).toBe(false);
    expect(useSyncStatus.getState().lastSyncAt).toBe('2026-11-26T12:00:00.000Z');
  });

  it('a completed sync shows online when the machine is online', () => {
    vi.stubGlobal('navigator', { onLine: true });
    useSyncStatus.getState().setOnline(false);
    useSyncStatus.getState().markSynced('2026-11-26T12:00:00.000Z');
    expect(useSyncStatus.getState().online).toBe(true);
  });
});
