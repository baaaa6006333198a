import { z } from 'zod';

/** WebCrypto HMAC, global in Node ≥ 19 and browsers; `shared/` has neither lib, so declare what we use. */
declare const crypto: {
  subtle: {
    importKey(
      format: 'raw',
      key: Uint8Array,
      algorithm: { name: 'HMAC'; hash: 'SHA-256' },
      extractable: boolean,
      usages: string[],
    ): Promise<unknown>;
    sign(algorithm: 'HMAC', key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  };
};
declare const TextEncoder: new () => { encode(text: string): Uint8Array };

const hexToBytes = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

/**
 * The co-signature as the client computes it offline: HMAC-SHA256 keyed with the hex-decoded
 * `cosignKey` (LoginResponse) over the UTF-8 bytes of `cosignMessage(…)`, lowercase hex.
 */
export async function cosignSignature(cosignKeyHex: string, message: string): Promise<string> {
  if (!/^[0-9a-f]{64}$/.test(cosignKeyHex)) throw new TypeError('cosignSignature: key must be 64 hex digits');
  const key = await crypto.subtle.importKey(
    'raw',
    hexToBytes(cosignKeyHex),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The change a co-signer confirms: the fields of `cosignMessage`. */
export const CosignSubject = z
  .object({
    tenantId: z.string().min(1).max(64),
    entity: z.string().min(1).max(64),
    entityId: z.string().min(1).max(200),
    action: z.string().min(1).max(64),
    typed: z.string().min(1).max(200),
    reason: z.string().min(1).max(500),
    /** The co-sign instant (ISO), the same value as `confirmation.cosign.at`. */
    at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type CosignSubject = z.infer<typeof CosignSubject>;

/**
 * Body of `POST /api/auth/cosign`: the co-signer's own credentials and the change they confirm
 * (`message` holds the fields of `cosignMessage`; the server builds the canonical string).
 */
export const CosignRequest = z
  .object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(256),
    message: CosignSubject,
  })
  .strict();
export type CosignRequest = z.infer<typeof CosignRequest>;

/** Answer of `POST /api/auth/cosign`: the signature and who signed (for `confirmation.cosign`). */
export type CosignResponse = { signature: string; cosignerId: string };
