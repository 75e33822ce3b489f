import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RpcReply } from '@mandant/contracts';

/**
 * Stored replies of idempotent requests, sealed with AES-256-GCM under the request's `seal` (a
 * key the gateway derives from the caller's Idempotency-Key and never stored). The row's tenant
 * and lookup key are the associated data, so a sealed reply opens only in its own row.
 *
 * Layout: version byte (1), 12-byte nonce, 16-byte tag, ciphertext of the reply's JSON.
 */
const VERSION = 1;
const NONCE = 12;
const TAG = 16;

export class IdempotentReplyUnreadableError extends Error {
  override readonly name = 'IdempotentReplyUnreadableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function keyOf(seal: string): Buffer {
  const key = Buffer.from(seal, 'base64url');
  if (key.length !== 32) throw new IdempotentReplyUnreadableError('an idempotency seal is 32 bytes');
  return key;
}

const associated = (tenantId: string, lookup: string) => Buffer.from(`mandant-idempotent-reply\0${tenantId}\0${lookup}`);

export function sealReply(seal: string, tenantId: string, lookup: string, reply: RpcReply): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', keyOf(seal), nonce);
  cipher.setAAD(associated(tenantId, lookup));
  const body = Buffer.concat([cipher.update(JSON.stringify(reply), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
}

/** The reply sealed by `sealReply`; throws IdempotentReplyUnreadableError for another seal, row or a damaged value. */
export function openReply(seal: string, tenantId: string, lookup: string, sealed: Uint8Array): RpcReply {
  const bytes = Buffer.from(sealed);
  if (bytes.length < 1 + NONCE + TAG || bytes[0] !== VERSION) throw new IdempotentReplyUnreadableError('not a sealed reply');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(seal), bytes.subarray(1, 1 + NONCE));
    decipher.setAAD(associated(tenantId, lookup));
    decipher.setAuthTag(bytes.subarray(1 + NONCE, 1 + NONCE + TAG));
    const text = Buffer.concat([decipher.update(bytes.subarray(1 + NONCE + TAG)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as RpcReply;
  } catch (err) {
    throw new IdempotentReplyUnreadableError('the stored reply does not open with this seal', { cause: err });
  }
}
