import { z } from 'zod';
import { type Role, roleCan } from '../access/policy.js';
import { Confirmation } from '../audit/chain.js';
import { LocationCode, LocationKind } from '../domain/floor.js';

/*
 * Site administration (issue #5): warehouses and locations (bins) are site-wide reference data,
 * read by every signed-in user and managed by site admins through `/api/sites…`.
 */

/** Who administers the site: a user with the admin role in at least one tenant, right now. */
export function maySiteAdmin(roles: Iterable<Role>): boolean {
  for (const r of roles) if (roleCan(r, 'policy:edit')) return true;
  return false;
}

/** A warehouse code such as `WH1`: upper-case letters, digits and dashes. */
export const WarehouseCode = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Z0-9][A-Z0-9-]*$/, 'warehouse code: upper-case letters, digits and dashes');

/** A location barcode: what a scanner sends, printable ASCII without spaces. */
export const LocationBarcode = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7E]+$/, 'barcode: printable characters without spaces');

const Name = z.string().trim().min(1, 'name: required').max(200);

/** The confirmation of a deactivation: the code retyped and a reason (no co-signature: no tenant threshold applies). */
export const SiteConfirmation = Confirmation.pick({ typed: true, reason: true }).strict();
export type SiteConfirmation = z.infer<typeof SiteConfirmation>;

/** A warehouse as the site screen shows it. */
export const SiteWarehouse = z.object({ id: z.string(), name: z.string(), active: z.boolean() }).strict();
export type SiteWarehouse = z.infer<typeof SiteWarehouse>;

/** A location as the site screen shows it (inactive ones included). */
export const SiteLocation = z
  .object({
    id: z.string(),
    warehouseId: z.string(),
    name: z.string(),
    barcode: z.string(),
    kind: LocationKind,
    active: z.boolean(),
    seq: z.number().int().nonnegative(),
  })
  .strict();
export type SiteLocation = z.infer<typeof SiteLocation>;

/** Answer of `GET /api/sites`: every warehouse and location; `mayEdit` says whether the caller may change them. */
export type SitesResponse = { warehouses: SiteWarehouse[]; locations: SiteLocation[]; mayEdit: boolean };

/** `POST /api/sites/warehouses`. */
export const WarehouseCreateBody = z.object({ id: WarehouseCode, name: Name }).strict();
export type WarehouseCreateBody = z.infer<typeof WarehouseCreateBody>;

/**
 * `PUT /api/sites/warehouses/:id`: the whole editable state. Deactivating is destructive and
 * carries a confirmation (the warehouse code retyped, a reason).
 */
export const WarehouseUpdateBody = z
  .object({ name: Name, active: z.boolean(), confirmation: SiteConfirmation.optional() })
  .strict();
export type WarehouseUpdateBody = z.infer<typeof WarehouseUpdateBody>;

/** `POST /api/sites/locations`. */
export const LocationCreateBody = z
  .object({
    id: LocationCode,
    warehouseId: WarehouseCode,
    name: Name,
    barcode: LocationBarcode,
    kind: LocationKind,
  })
  .strict();
export type LocationCreateBody = z.infer<typeof LocationCreateBody>;

/**
 * `PUT /api/sites/locations/:id`: the whole editable state (the code is the id and never
 * changes). Deactivating is destructive: a confirmation (the code retyped, a reason), and refused
 * while the location holds stock of any client.
 */
export const LocationUpdateBody = z
  .object({
    warehouseId: WarehouseCode,
    name: Name,
    barcode: LocationBarcode,
    kind: LocationKind,
    active: z.boolean(),
    confirmation: SiteConfirmation.optional(),
  })
  .strict();
export type LocationUpdateBody = z.infer<typeof LocationUpdateBody>;
