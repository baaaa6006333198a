/** One change the server refused or that could not be merged, kept for its author (I6). */
export type AttentionItem = {
  id: string;
  tenantId: string;
  collection: 'items' | 'movements' | 'orders' | 'receipts';
  docId: string;
  /** Rejection code (`forbidden`, `conflict`, `confirmation-required`, …). */
  code: string;
  /** The server's reason, in its words. */
  reason: string;
  /** What this PC tried to write. */
  localVersion: Record<string, unknown>;
  /** What the server holds (null when the document does not exist there). */
  serverVersion: Record<string, unknown> | null;
  at: string;
  status: 'open' | 'retried' | 'discarded';
};
