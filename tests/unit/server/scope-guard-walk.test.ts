/**
 * The scope guard's walk (`tenantTablesIn`) skips bound values (issue #8, push throughput): they
 * are data, never SQL. It must still find every tenant table a statement names — through the
 * query builder, in raw SQL, in raw SQL nested in raw SQL and in subqueries — whatever the values
 * hold.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { tenantTablesIn } from '../../../server/db/guard.js';
import type { DB } from '../../../server/db/types.js';
import { insertJsonRows } from '../../../server/sync/mapping.js';

// Compiles only: no pool is ever asked for a connection.
const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: {} as never }) });
const tables = (q: { toOperationNode: () => unknown }) => [...tenantTablesIn(q.toOperationNode())].sort();

describe('tenantTablesIn', () => {
  it('finds tables named by the builder, in raw SQL, nested raw SQL and subqueries', () => {
    expect(tables(db.selectFrom('items').select('id').where('id', 'in', ['a', 'b']))).toEqual(['items']);
    expect(
      tables(
        db
          .selectFrom('locations')
          .select('id')
          .where('id', 'in', db.selectFrom('movements').select('to_location_id')),
      ),
    ).toEqual(['movements']);
    const insert = insertJsonRows('audit_log', ['tenant_id', 'id'], [{ tenant_id: 'acme', id: 'x' }]);
    expect(tables(sql`WITH a AS (${insert}) UPDATE tenant_seq SET last_seq = ${1}`)).toEqual([
      'audit_log',
      'tenant_seq',
    ]);
    expect(tables(sql`SELECT 1 FROM (SELECT ${sql`${sql.raw('balances')}`}) x`)).toEqual(['balances']);
  });

  it('does not read bound values, which are data (parameters or quoted literals)', () => {
    // A value shaped like an operation node naming a table is still only a value.
    const fake = { kind: 'TableNode', table: { identifier: { name: 'items' } } };
    expect(tables(sql`SELECT ${fake}::json`)).toEqual([]);
    expect(tables(sql`SELECT ${sql.lit('audit_log')}`)).toEqual([]);
    expect(tables(db.selectFrom('locations').select('id').where('id', 'in', ['items', 'movements']))).toEqual(
      [],
    );
    // …while the same statement naming a tenant table is caught.
    expect(tables(sql`SELECT ${fake}::json FROM orders`)).toEqual(['orders']);
  });
});
