import { alertsStrings } from '../features/alerts/strings.js';
import { attentionStrings } from '../features/attention/strings.js';
import { auditStrings } from '../features/audit/strings.js';
import { confirmStrings } from '../features/confirm/strings.js';
import { dashboardStrings } from '../features/dashboard/strings.js';
import { floorStrings } from '../features/floor/strings.js';
import { grantsStrings } from '../features/grants/strings.js';
import { stockStrings } from '../features/items/stock-strings.js';
import { itemsStrings } from '../features/items/strings.js';
import { languageStrings } from '../features/language/strings.js';
import { policyStrings } from '../features/policy/strings.js';
import { printStrings } from '../features/print/strings.js';
import { reportsStrings } from '../features/reports/strings.js';
import { sitesStrings } from '../features/sites/strings.js';

/** A feature's strings: one namespace key, both languages (a unit test checks they match). */
export type Bundle = { en: Record<string, unknown>; zhCN: Record<string, unknown> };

/** Feature bundles by top-level key (`t('grants.title')`). Register every feature's strings here. */
export const bundles: Record<string, Bundle> = {
  alerts: alertsStrings,
  attention: attentionStrings,
  audit: auditStrings,
  confirm: confirmStrings,
  dashboard: dashboardStrings,
  floor: floorStrings,
  grants: grantsStrings,
  items: itemsStrings,
  language: languageStrings,
  policy: policyStrings,
  print: printStrings,
  reports: reportsStrings,
  sites: sitesStrings,
  stock: stockStrings,
};
