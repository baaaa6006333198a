/**
 * The balance base of each local partition (see `Checkpoint` in the sync protocol and
 * `effectiveSeq` in `acks.ts`). Holds no tenant data, only partition names and numbers, so it can
 * live in localStorage like the partition registry (`partitions.ts`).
 */
const bases = new Map<string, number>();
const baseKey = (dbName: string) => `bulkhead.balanceBase.${dbName}`;

/**
 * The balance base of a partition (see `Checkpoint` in the sync protocol): the server's highest
 * balance sequence when the partition's first pull began; 0 while unknown. The server leaves out
 * the balances that were zero then and never changed, so a balance this PC does not hold may be
 * one of them; a movement at or below the base is reflected in whatever the PC holds for its
 * locations — also where it holds nothing, because that balance is zero — and never counts again.
 * Kept per partition in localStorage (a number, no tenant data) so it holds offline and after a
 * restart.
 */
export function balanceBase(dbName: string): number {
  const known = bases.get(dbName);
  if (known !== undefined) return known;
  let stored = 0;
  try {
    stored = Number(globalThis.localStorage?.getItem(baseKey(dbName)) ?? 0) || 0;
  } catch {
    stored = 0;
  }
  bases.set(dbName, stored);
  return stored;
}

/**
 * The base a balances pull from no checkpoint sends: the partition's own when it already holds
 * balances, so the server keeps it (undefined: the server fixes a new one). RxDB writes no
 * checkpoint once its replication is cancelled, so a tenant switch or a closed page between a
 * page's documents and its checkpoint leaves balances this PC holds with no checkpoint; under a
 * new base, one of them that dropped to zero meanwhile would never be sent again (soak seed
 * 97060704). A partition that holds balances but lost its base (localStorage cleared) sends 0:
 * nothing is left out.
 */
export async function restartBase(
  dbName: string,
  holdsBalances: () => Promise<boolean>,
): Promise<number | undefined> {
  const known = balanceBase(dbName);
  if (known > 0) return known;
  return (await holdsBalances()) ? 0 : undefined;
}

/** Record a partition's balance base, as the balances pull answers it. */
export function setBalanceBase(dbName: string, base: number): void {
  if (bases.get(dbName) === base) return;
  bases.set(dbName, base);
  try {
    globalThis.localStorage?.setItem(baseKey(dbName), String(base));
  } catch {
    // Storage unavailable (tests): the value lives for this session.
  }
}

/** Forget a partition's base when the partition is removed (access lost, rebuild, wipe). */
export function forgetBalanceBase(dbName: string): void {
  bases.delete(dbName);
  try {
    globalThis.localStorage?.removeItem(baseKey(dbName));
  } catch {
    // Storage unavailable (tests).
  }
}
