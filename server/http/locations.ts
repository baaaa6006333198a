import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LocationsResponse } from '../../shared/domain/floor.js';
import { LocationKind } from '../../shared/domain/floor.js';
import { withIdentity } from '../db/scope.js';
import { locationRowToDoc } from '../sync/floor.js';
import type { RouteContext } from './common.js';
import { auth, parseOr400 } from './common.js';
import { registerSiteRoutes } from './sites.js';

const LocationsQuery = z
  .object({
    /** Only locations changed after this site-wide sequence (for incremental refresh). */
    since: z.coerce.number().int().nonnegative().optional(),
    kind: LocationKind.optional(),
  })
  .strict();

/**
 * Site-wide reference data: warehouses and locations (bins). Not tenant data — every signed-in
 * user of the site may read it (active warehouses, active locations unless `since` asks for
 * changes); site admins manage it through the `/api/sites` routes of sites.ts, registered here.
 */
export function registerLocationRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/api/locations', async (req): Promise<LocationsResponse> => {
    await auth(ctx, req);
    const q = parseOr400(LocationsQuery, req.query ?? {}, 'query');
    return withIdentity(ctx.db, async (tx) => {
      const warehouses = await tx
        .selectFrom('warehouses')
        .selectAll()
        .where('active', '=', true)
        .orderBy('id')
        .execute();
      let query = tx
        .selectFrom('locations')
        .selectAll()
        .where('seq', '>', q.since ?? 0)
        .orderBy('id');
      if (q.since === undefined) query = query.where('deleted', '=', false);
      if (q.kind) query = query.where('kind', '=', q.kind);
      const rows = await query.execute();
      return {
        warehouses: warehouses.map((w) => ({ id: w.id, name: w.name })),
        locations: rows.map(locationRowToDoc),
      };
    });
  });
  registerSiteRoutes(app, ctx);
}
