import type { Role } from '../../shared/access/policy.js';

/**
 * Which local partitions exist on this PC, and under which role and policy version each was
 * built. Holds no tenant data, only names, so it can live in localStorage.
 */
export type PartitionInfo = { userId: string; tenantId: string; role: Role; policyVersion: number };

const KEY = 'bulkhead.partitions';

function read(): Record<string, PartitionInfo> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, PartitionInfo>;
  } catch {
    return {};
  }
}

function write(all: Record<string, PartitionInfo>): void {
  localStorage.setItem(KEY, JSON.stringify(all));
}

const id = (userId: string, tenantId: string) => `${userId}\u0000${tenantId}`;

/** The partition record of (user, tenant), if one was built. */
export function partitionInfo(userId: string, tenantId: string): PartitionInfo | null {
  return read()[id(userId, tenantId)] ?? null;
}

/** Record that (user, tenant) was built under this role and policy version. */
export function recordPartition(info: PartitionInfo): void {
  write({ ...read(), [id(info.userId, info.tenantId)]: info });
}

/** Forget the record of a removed partition. */
export function forgetPartition(userId: string, tenantId: string): void {
  const all = read();
  delete all[id(userId, tenantId)];
  write(all);
}

/** Every partition of a user on this PC. */
export function partitionsOf(userId: string): PartitionInfo[] {
  return Object.values(read()).filter((p) => p.userId === userId);
}

/** True when the partition must be rebuilt: built under another role or policy version. */
export function isStale(info: PartitionInfo | null, role: Role, policyVersion: number): boolean {
  return info !== null && (info.role !== role || info.policyVersion !== policyVersion);
}
