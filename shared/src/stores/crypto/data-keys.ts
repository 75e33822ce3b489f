import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { checkTenantId } from '../blobs/port.ts';

/**
 * Envelope encryption with one data key per tenant, so that erasing a tenant is deleting one
 * key (crypto-shredding): every blob and event payload sealed with it becomes unreadable, and
 * no history needs rewriting.
 *
 * - Data: AES-256-GCM under the tenant's data key (32 random bytes), a random 96-bit nonce per
 *   message. Sealed form, 64 bytes longer than the plaintext:
 *   `"MND" | version 0x01 | tenant uuid (16) | key id (16) | nonce (12) | ciphertext | tag (16)`.
 *   The first 36 bytes (the header) and the caller's `aad` are authenticated, so a payload moved
 *   to another tenant, or (with `aad`) to another key or stream, does not open.
 * - Data keys are stored only wrapped (AES-256-GCM under the master key, bound to tenant and
 *   key id): `0x01 | key id (16) | nonce (12) | wrapped key (32) | tag (16)`.
 * - Known limits: random nonces keep one key safe for about 2^32 messages; there is no key or
 *   master-key rotation yet (the version bytes leave room for it).
 */
/** Where wrapped data keys live (a Postgres table in production). Tenant ids arrive lowercase. */
export interface KeyStore {
  /** the tenant's wrapped data key, or null when it has none (never created or destroyed) */
  get(tenantId: string): Promise<Uint8Array | null>;
  /**
   * Stores `wrapped` unless the tenant already has a key, and answers the key that is stored:
   * the first writer wins, so two processes creating a tenant's key at once agree on one.
   */
  put(tenantId: string, wrapped: Uint8Array): Promise<Uint8Array>;
  /** forgets the tenant's key for good; deleting a missing key is not an error */
  delete(tenantId: string): Promise<void>;
}

export interface Keyring {
  /** Seals `plaintext` under the tenant's data key, creating the key on first use. */
  encrypt(tenantId: string, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /**
   * Opens what `encrypt` sealed for this tenant with the same `aad`. Throws
   * `DataKeyDestroyedError` when the key that sealed it is gone, `DecryptionFailedError` when
   * the bytes were altered, belong to another tenant or the `aad` differs, `KeyUnwrapError`
   * when the stored key does not unwrap with this master key.
   */
  decrypt(tenantId: string, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Crypto-shredding: deletes the tenant's data key; what it sealed can never be opened again. */
  destroy(tenantId: string): Promise<void>;
}

export interface KeyringOptions {
  /** 32 bytes, base64 in configuration */
  masterKey: string | Uint8Array;
  store: KeyStore;
  /**
   * How long an unwrapped data key may be reused without asking the store (default 0: always
   * ask). A key destroyed by another process stays usable here for at most this long;
   * `destroy` through this keyring takes effect at once.
   */
  cacheMs?: number;
  now?: () => number;
}

/** The tenant's data key is gone (crypto-shredded), or never existed: the data is unreadable. */
export class DataKeyDestroyedError extends Error {
  override readonly name = 'DataKeyDestroyedError';
  constructor(readonly tenantId: string) {
    super(`the data key that sealed this payload no longer exists for tenant ${tenantId}`);
  }
}

/** The payload is not ours, was altered, or was sealed for another tenant or context. */
export class DecryptionFailedError extends Error {
  override readonly name = 'DecryptionFailedError';
  constructor(
    readonly tenantId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot decrypt payload for tenant ${tenantId}: ${reason}`, options);
  }
}

/** A stored data key does not unwrap: wrong master key, or the stored row was altered or moved. */
export class KeyUnwrapError extends Error {
  override readonly name = 'KeyUnwrapError';
  constructor(
    readonly tenantId: string,
    options?: { cause?: unknown },
  ) {
    super(`the data key of tenant ${tenantId} does not unwrap with this master key`, options);
  }
}

export class InvalidMasterKeyError extends Error {
  override readonly name = 'InvalidMasterKeyError';
}

const MAGIC = [0x4d, 0x4e, 0x44]; // "MND"
const VERSION = 0x01;
const KEY_ID = 16;
const NONCE = 12;
const TAG = 16;
const HEADER = 4 + 16 + KEY_ID;
/** Bytes a sealed payload adds to its plaintext. */
export const SEALED_OVERHEAD = HEADER + NONCE + TAG;
const WRAPPED = 1 + KEY_ID + NONCE + 32 + TAG;
const encoder = new TextEncoder();

interface DataKey {
  id: Buffer;
  key: Buffer;
}

export function parseMasterKey(masterKey: string | Uint8Array): Buffer {
  if (typeof masterKey === 'string') {
    // Strict: exactly 32 bytes of standard base64, so a truncated or mistyped secret fails loudly.
    if (!/^[A-Za-z0-9+/]{43}=$/.test(masterKey.trim())) throw new InvalidMasterKeyError('master key must be 32 bytes, base64-encoded');
    return Buffer.from(masterKey.trim(), 'base64');
  }
  if (masterKey.byteLength !== 32) throw new InvalidMasterKeyError('master key must be 32 bytes');
  return Buffer.from(masterKey);
}

function seal(key: Buffer, nonce: Buffer, plaintext: Uint8Array, aad: Uint8Array): { ct: Buffer; tag: Buffer } {
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return { ct, tag: c.getAuthTag() };
}

function open(key: Buffer, nonce: Uint8Array, ct: Uint8Array, tag: Uint8Array, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}

const uuidBytes = (tenantId: string): Buffer => Buffer.from(tenantId.replaceAll('-', ''), 'hex');
const wrapAad = (tenantId: string, keyId: Uint8Array): Buffer =>
  Buffer.concat([encoder.encode(`mandant/data-key/v1/${tenantId}/`), keyId]);

export function createKeyring(options: KeyringOptions): Keyring {
  const master = parseMasterKey(options.masterKey);
  const { store } = options;
  const cacheMs = options.cacheMs ?? 0;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { dataKey: DataKey; at: number }>();

  function wrap(tenantId: string, dataKey: DataKey): Uint8Array {
    const nonce = randomBytes(NONCE);
    const { ct, tag } = seal(master, nonce, dataKey.key, wrapAad(tenantId, dataKey.id));
    return Buffer.concat([Buffer.from([VERSION]), dataKey.id, nonce, ct, tag]);
  }

  function unwrap(tenantId: string, wrapped: Uint8Array): DataKey {
    if (wrapped.byteLength !== WRAPPED || wrapped[0] !== VERSION) throw new KeyUnwrapError(tenantId, { cause: new Error('unknown wrapped-key format') });
    const b = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
    const id = Buffer.from(b.subarray(1, 1 + KEY_ID));
    const nonce = b.subarray(1 + KEY_ID, 1 + KEY_ID + NONCE);
    try {
      const key = open(master, nonce, b.subarray(1 + KEY_ID + NONCE, WRAPPED - TAG), b.subarray(WRAPPED - TAG), wrapAad(tenantId, id));
      return { id, key };
    } catch (err) {
      throw new KeyUnwrapError(tenantId, { cause: err });
    }
  }

  async function load(tenantId: string): Promise<DataKey | null> {
    const hit = cache.get(tenantId);
    if (hit && now() - hit.at < cacheMs) return hit.dataKey;
    const wrapped = await store.get(tenantId);
    if (!wrapped) {
      cache.delete(tenantId);
      return null;
    }
    return remember(tenantId, unwrap(tenantId, wrapped));
  }

  function remember(tenantId: string, dataKey: DataKey): DataKey {
    if (cacheMs > 0) cache.set(tenantId, { dataKey, at: now() });
    return dataKey;
  }

  async function loadOrCreate(tenantId: string): Promise<DataKey> {
    const found = await load(tenantId);
    if (found) return found;
    const fresh: DataKey = { id: randomBytes(KEY_ID), key: randomBytes(32) };
    const stored = await store.put(tenantId, wrap(tenantId, fresh));
    // Another writer may have won the race: use whatever the store kept.
    return remember(tenantId, unwrap(tenantId, stored));
  }

  return {
    async encrypt(tenantId, plaintext, aad = new Uint8Array()) {
      const t = checkTenantId(tenantId);
      const dataKey = await loadOrCreate(t);
      const header = Buffer.concat([Buffer.from([...MAGIC, VERSION]), uuidBytes(t), dataKey.id]);
      const nonce = randomBytes(NONCE);
      const { ct, tag } = seal(dataKey.key, nonce, plaintext, Buffer.concat([header, aad]));
      return new Uint8Array(Buffer.concat([header, nonce, ct, tag]));
    },

    async decrypt(tenantId, sealed, aad = new Uint8Array()) {
      const t = checkTenantId(tenantId);
      const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      if (b.byteLength < SEALED_OVERHEAD || MAGIC.some((m, i) => b[i] !== m) || b[3] !== VERSION) {
        throw new DecryptionFailedError(t, 'not a sealed payload of a known version');
      }
      // Header fields are checked before authentication only to name the failure; an altered
      // header still never yields plaintext, because the tag covers it.
      if (!b.subarray(4, 20).equals(uuidBytes(t))) throw new DecryptionFailedError(t, 'sealed for another tenant');
      const dataKey = await load(t);
      if (!dataKey || !b.subarray(20, HEADER).equals(dataKey.id)) throw new DataKeyDestroyedError(t);
      try {
        const nonce = b.subarray(HEADER, HEADER + NONCE);
        const plain = open(dataKey.key, nonce, b.subarray(HEADER + NONCE, b.byteLength - TAG), b.subarray(b.byteLength - TAG), Buffer.concat([b.subarray(0, HEADER), aad]));
        return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
      } catch (err) {
        throw new DecryptionFailedError(t, 'authentication failed (altered bytes or different context)', { cause: err });
      }
    },

    async destroy(tenantId) {
      const t = checkTenantId(tenantId);
      cache.delete(t);
      await store.delete(t);
    },
  };
}
