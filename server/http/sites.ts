import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Selectable, Transaction } from 'kysely';
import type { z } from 'zod';
import type { Role } from '../../shared/access/policy.js';
import { typedMatches } from '../../shared/audit/destructive.js';
import type { SiteConfirmation, SiteLocation, SitesResponse, SiteWarehouse } from '../../shared/api/sites.js';
import {
  LocationCreateBody,
  LocationUpdateBody,
  maySiteAdmin,
  WarehouseCode,
  WarehouseCreateBody,
  WarehouseUpdateBody,
} from '../../shared/api/sites.js';
import { LocationCode } from '../../shared/domain/floor.js';
import { appendAudit } from '../audit/log.js';
import type { AuthContext } from '../auth/service.js';
import { CHANGES_CHANNEL } from '../db/connect.js';
import { withUserScope } from '../db/scope.js';
import type { DB, LocationsTable, WarehousesTable } from '../db/types.js';
import type { RouteContext } from './common.js';
import { auth, forbidden, parseOr400 } from './common.js';
import { HttpError } from './errors.js';

type Tx = Transaction<DB>;

const warehouseOf = (r: Selectable<WarehousesTable>): SiteWarehouse => ({
  id: r.id,
  name: r.name,
  active: r.active,
});

const locationOf = (r: Selectable<LocationsTable>): SiteLocation => ({
  id: r.id,
  warehouseId: r.warehouse_id,
  name: r.name,
  barcode: r.barcode,
  kind: r.kind as SiteLocation['kind'],
  active: !r.deleted,
  seq: Number(r.seq),
});

/** What the audit log keeps of a location (its sequence is bookkeeping, not state). */
const locationSnapshot = ({ seq: _seq, ...rest }: SiteLocation) => rest;

const idParam = <S extends z.ZodType>(req: FastifyRequest, schema: S, what: string): z.infer<S> =>
  parseOr400(schema, (req.params as { id?: unknown }).id, what);

/** A deactivation needs the code retyped and a reason (I5); the schema already checked the reason's length. */
function requireConfirmation(c: SiteConfirmation | undefined, code: string, what: string): SiteConfirmation {
  if (!c)
    throw new HttpError(
      400,
      'confirmation_required',
      `deactivating ${what} ${code} needs a confirmation: retype the code and give a reason`,
    );
  if (!typedMatches(c.typed, code))
    throw new HttpError(400, 'confirmation_mismatch', `the confirmation must retype ${code}, not ${c.typed}`);
  return { typed: c.typed.trim(), reason: c.reason.trim() };
}

/** Another location whose code or barcode a scan of `value` would also match (scans ignore case). */
async function scanClash(tx: Tx, value: string, exceptId: string | null): Promise<string | null> {
  let q = tx
    .selectFrom('locations')
    .select('id')
    .where((eb) =>
      eb.or([
        eb(sql`lower(id)`, '=', value.toLowerCase()),
        eb(sql`lower(barcode)`, '=', value.toLowerCase()),
      ]),
    )
    .limit(1);
  if (exceptId !== null) q = q.where('id', '!=', exceptId);
  const row = await q.executeTakeFirst();
  return row?.id ?? null;
}

async function checkLocationCodes(tx: Tx, id: string, barcode: string, exceptId: string | null) {
  const byBarcode = await scanClash(tx, barcode, exceptId);
  if (byBarcode !== null)
    throw new HttpError(
      409,
      'duplicate_barcode',
      `barcode ${barcode} is already the code or barcode of location ${byBarcode}`,
    );
  if (exceptId === null) {
    const byCode = await scanClash(tx, id, null);
    if (byCode !== null)
      throw new HttpError(409, 'duplicate_code', `code ${id} is already used by location ${byCode}`);
  }
}

async function requireWarehouse(tx: Tx, id: string, mustBeActive: boolean): Promise<void> {
  const w = await tx.selectFrom('warehouses').selectAll().where('id', '=', id).executeTakeFirst();
  if (!w) throw new HttpError(400, 'unknown_warehouse', `warehouse ${id} does not exist`);
  if (mustBeActive && !w.active)
    throw new HttpError(409, 'warehouse_inactive', `warehouse ${id} is inactive; reactivate it first`);
}

const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';

type SiteAudit = (e: {
  action: string;
  entity: 'warehouse' | 'location';
  entityId: string;
  before: unknown;
  after: unknown;
  confirmation?: SiteConfirmation | null;
}) => Promise<void>;

/**
 * Site administration: warehouses and locations (bins), site-wide reference data. Everyone
 * signed in reads them; site admins (the admin role in at least one client, live) create, edit and
 * deactivate them. Each change is audited with before/after in the chain of every client the
 * actor administers, and announced to every client's stream so devices pull the locations again.
 */
export function registerSiteRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const read = <T>(userId: string, fn: (tx: Tx, roles: Role[]) => Promise<T>): Promise<T> =>
    withUserScope(
      ctx.db,
      userId,
      (tx, scope) =>
        fn(
          tx,
          [...scope.roles.values()].map((r) => r.role),
        ),
      {
        at: ctx.at(),
      },
    );

  /** One transaction: rights, the change, its audit entries and the notification commit together. */
  const write = async <T>(a: AuthContext, fn: (tx: Tx, audit: SiteAudit) => Promise<T>): Promise<T> => {
    try {
      return await withUserScope(
        ctx.db,
        a.userId,
        async (tx, scope) => {
          const tenants = [...scope.roles]
            .filter(([, m]) => maySiteAdmin([m.role]))
            .map(([t]) => t)
            .sort();
          if (tenants.length === 0)
            throw forbidden('only site admins (the admin role in a client) change warehouses and locations');
          let locationsChanged = false;
          const audit: SiteAudit = async (e) => {
            if (e.entity === 'location') locationsChanged = true;
            for (const tenantId of tenants)
              await appendAudit(tx, {
                tenantId,
                actorId: a.userId,
                deviceId: a.deviceId,
                action: e.action,
                entity: e.entity,
                entityId: e.entityId,
                before: e.before,
                after: e.after,
                reason: e.confirmation?.reason ?? null,
                confirmation: e.confirmation ?? null,
                at: ctx.now(),
              });
          };
          const result = await fn(tx, audit);
          if (locationsChanged) {
            // Every client's devices hold the locations: wake each stream (delivered at commit).
            // The tenants' own sequences did not move, hence seq 0.
            await sql`SELECT pg_notify(${CHANGES_CHANNEL}, json_build_object('tenantId', id, 'seq', 0, 'collections', json_build_array('locations'))::text) FROM tenants`.execute(
              tx,
            );
          }
          return result;
        },
        { at: ctx.at() },
      );
    } catch (e) {
      // Two admins creating the same code at once: the second trips the unique index.
      if (isUniqueViolation(e))
        throw new HttpError(
          409,
          'duplicate_code',
          'another location or warehouse took this code or barcode meanwhile',
        );
      throw e;
    }
  };

  app.get('/api/sites', async (req): Promise<SitesResponse> => {
    const a = await auth(ctx, req);
    return read(a.userId, async (tx, roles) => {
      const warehouses = await tx.selectFrom('warehouses').selectAll().orderBy('id').execute();
      const locations = await tx.selectFrom('locations').selectAll().orderBy('id').execute();
      return {
        warehouses: warehouses.map(warehouseOf),
        locations: locations.map(locationOf),
        mayEdit: maySiteAdmin(roles),
      };
    });
  });

  app.post('/api/sites/warehouses', async (req, reply): Promise<SiteWarehouse> => {
    const a = await auth(ctx, req);
    const body = parseOr400(WarehouseCreateBody, req.body, 'warehouse');
    const created = await write(a, async (tx, audit) => {
      const clash = await tx
        .selectFrom('warehouses')
        .select('id')
        .where(sql`lower(id)`, '=', body.id.toLowerCase())
        .executeTakeFirst();
      if (clash) throw new HttpError(409, 'duplicate_code', `warehouse code ${body.id} is already used`);
      const row = await tx
        .insertInto('warehouses')
        .values({ id: body.id, name: body.name, active: true })
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = warehouseOf(row);
      await audit({
        action: 'warehouse:create',
        entity: 'warehouse',
        entityId: after.id,
        before: null,
        after,
      });
      return after;
    });
    return reply.status(201).send(created);
  });

  app.put('/api/sites/warehouses/:id', async (req): Promise<SiteWarehouse> => {
    const a = await auth(ctx, req);
    const id = idParam(req, WarehouseCode, 'warehouse code');
    const body = parseOr400(WarehouseUpdateBody, req.body, 'warehouse');
    return write(a, async (tx, audit) => {
      const row = await tx
        .selectFrom('warehouses')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw new HttpError(404, 'not_found', `warehouse ${id} does not exist`);
      const before = warehouseOf(row);
      const deactivating = before.active && !body.active;
      const confirmation = deactivating ? requireConfirmation(body.confirmation, id, 'warehouse') : null;
      if (before.name === body.name && before.active === body.active) return before;
      if (deactivating) {
        const n = await tx
          .selectFrom('locations')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('warehouse_id', '=', id)
          .where('deleted', '=', false)
          .executeTakeFirstOrThrow();
        if (Number(n.n) > 0)
          throw new HttpError(
            409,
            'warehouse_in_use',
            `warehouse ${id} still has ${Number(n.n)} active location(s); deactivate or move them first`,
          );
      }
      const updated = await tx
        .updateTable('warehouses')
        .set({ name: body.name, active: body.active })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = warehouseOf(updated);
      const action = deactivating
        ? 'warehouse:deactivate'
        : !before.active && after.active
          ? 'warehouse:reactivate'
          : 'warehouse:edit';
      await audit({ action, entity: 'warehouse', entityId: id, before, after, confirmation });
      return after;
    });
  });

  app.post('/api/sites/locations', async (req, reply): Promise<SiteLocation> => {
    const a = await auth(ctx, req);
    const body = parseOr400(LocationCreateBody, req.body, 'location');
    const created = await write(a, async (tx, audit) => {
      await requireWarehouse(tx, body.warehouseId, true);
      await checkLocationCodes(tx, body.id, body.barcode, null);
      const row = await tx
        .insertInto('locations')
        .values({
          id: body.id,
          warehouse_id: body.warehouseId,
          name: body.name,
          barcode: body.barcode,
          kind: body.kind,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = locationOf(row);
      await audit({
        action: 'location:create',
        entity: 'location',
        entityId: after.id,
        before: null,
        after: locationSnapshot(after),
      });
      return after;
    });
    return reply.status(201).send(created);
  });

  app.put('/api/sites/locations/:id', async (req): Promise<SiteLocation> => {
    const a = await auth(ctx, req);
    const id = idParam(req, LocationCode, 'location code');
    const body = parseOr400(LocationUpdateBody, req.body, 'location');
    return write(a, async (tx, audit) => {
      const row = await tx
        .selectFrom('locations')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw new HttpError(404, 'not_found', `location ${id} does not exist`);
      const before = locationOf(row);
      const deactivating = before.active && !body.active;
      const confirmation = deactivating ? requireConfirmation(body.confirmation, id, 'location') : null;
      const same =
        before.warehouseId === body.warehouseId &&
        before.name === body.name &&
        before.barcode === body.barcode &&
        before.kind === body.kind &&
        before.active === body.active;
      if (same) return before;
      await requireWarehouse(tx, body.warehouseId, body.active);
      if (body.barcode !== before.barcode) await checkLocationCodes(tx, id, body.barcode, id);
      if (deactivating) {
        const held = await sql<{ held: boolean }>`SELECT location_holds_stock(${id}) AS held`.execute(tx);
        if (held.rows[0]?.held === true)
          throw new HttpError(
            409,
            'location_holds_stock',
            `location ${id} still holds stock; move or count it out before deactivating`,
          );
      }
      const updated = await tx
        .updateTable('locations')
        .set({
          warehouse_id: body.warehouseId,
          name: body.name,
          barcode: body.barcode,
          kind: body.kind,
          deleted: !body.active,
          // Devices pull locations by this sequence: the change must sort after everything they have.
          seq: sql<number>`nextval('location_seq')`,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const after = locationOf(updated);
      const action = deactivating
        ? 'location:deactivate'
        : !before.active && after.active
          ? 'location:reactivate'
          : 'location:edit';
      await audit({
        action,
        entity: 'location',
        entityId: id,
        before: locationSnapshot(before),
        after: locationSnapshot(after),
        confirmation,
      });
      return after;
    });
  });
}
