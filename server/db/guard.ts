import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/** Tables whose rows belong to one tenant: RLS-protected, reachable only inside a tenant scope. */
export const TENANT_TABLES: readonly string[] = [
  'items',
  'movements',
  'balances',
  'tenant_seq',
  'tenant_policies',
  'audit_log',
  'activity',
  'alerts',
  'receipts',
  'orders',
];

/**
 * What the current async call chain is allowed to touch. Set only by the helpers in scope.ts:
 * `tenant` once `app.tenant_ids` has been set in the transaction, `identity` for identity-level
 * tables (users, sessions, memberships, grant_requests, tenants).
 */
export type ScopeContext = { kind: 'identity' } | { kind: 'tenant'; tenantIds: readonly string[] };

export const scopeStorage = new AsyncLocalStorage<{ ctx: ScopeContext }>();

/** A query reached a tenant table outside a tenant-scoped transaction. */
export class ScopeViolation extends Error {
  constructor(
    readonly table: string,
    readonly scope: ScopeContext['kind'] | 'none',
  ) {
    super(`query touches tenant table ${table} outside a tenant scope (scope: ${scope})`);
    this.name = 'ScopeViolation';
  }
}

const TABLE_RE = new RegExp(`\\b(${TENANT_TABLES.join('|')})\\b`, 'i');

/** Names of tenant tables an operation node refers to (query builder tables and raw SQL text). */
export function tenantTablesIn(node: unknown, found = new Set<string>(), depth = 0): Set<string> {
  if (depth > 64 || node === null || typeof node !== 'object') return found;
  if (Array.isArray(node)) {
    for (const n of node) tenantTablesIn(n, found, depth + 1);
    return found;
  }
  const n = node as { kind?: string } & Record<string, unknown>;
  // Performance: a value is data, never SQL that could name a table — kysely sends it as a bind
  // parameter, or (immediate) as a quoted literal, number or null. A push's statements carry
  // arrays of ids and rows in them; walking every element cost ~1 ms per push. Every TableNode and
  // every raw SQL fragment is still inspected.
  if (n.kind === 'ValueNode' || n.kind === 'PrimitiveValueListNode') return found;
  if (n.kind === 'TableNode') {
    const name = (n as unknown as { table: { identifier: { name: string } } }).table.identifier.name;
    if (TENANT_TABLES.includes(name)) found.add(name);
    return found;
  }
  if (n.kind === 'RawNode') {
    const text = ((n as unknown as { sqlFragments: readonly string[] }).sqlFragments ?? []).join(' ');
    // Strip string literals so a channel name or a setting never counts as a table.
    const m = TABLE_RE.exec(text.replace(/'[^']*'/g, "''"));
    if (m?.[1]) found.add(m[1].toLowerCase());
  }
  for (const [k, v] of Object.entries(n)) {
    if (k === 'kind') continue;
    if (v !== null && typeof v === 'object') tenantTablesIn(v, found, depth + 1);
  }
  return found;
}

/**
 * Kysely plugin on the app connection: every statement that names a tenant table must run inside
 * `withTenantScope` (or the other tenant-scope helpers of scope.ts). Violations throw and are
 * recorded, so a test can drive every route and assert that none happened.
 */
export class ScopeGuard implements KyselyPlugin {
  readonly violations: ScopeViolation[] = [];

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const tables = tenantTablesIn(args.node);
    if (tables.size > 0) {
      const ctx = scopeStorage.getStore()?.ctx;
      if (ctx?.kind !== 'tenant') {
        const v = new ScopeViolation([...tables][0] ?? '?', ctx?.kind ?? 'none');
        this.violations.push(v);
        throw v;
      }
    }
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
