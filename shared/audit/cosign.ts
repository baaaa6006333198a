import { canonicalJson } from './canonical.js';

/**
 * What a co-signer signs: the change it confirms (not who signs — the key says that). The
 * signature is HMAC-SHA256, hex, keyed with the co-signer's key as BYTES (the hex string
 * `cosignKey` decoded). The server derives that key from its secret and the user id and hands it
 * to the user at login; the client keeps it encrypted under that user's password, so a co-sign
 * made offline on another user's PC is verified by the server later with
 * `confirmation.cosign.userId`.
 */
export function cosignMessage(c: {
  tenantId: string;
  entity: string;
  entityId: string;
  action: string;
  typed: string;
  reason: string;
  /** When the co-signer signed (ISO); stored as `confirmation.cosign.at`. */
  at: string;
}): string {
  return canonicalJson({ v: 1, ...c });
}
