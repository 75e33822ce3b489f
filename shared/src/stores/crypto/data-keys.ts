import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { checkTenantId } from '../blobs/port.ts';

/**
 * Envelope encryption with data keys per scope: a tenant's own key, and one key per document,
 * so that erasing a document is deleting its key and erasing a tenant is deleting all of its
 * keys (crypto-shredding): every blob and event payload sealed with them becomes unreadable, and
 * no history needs rewriting.
 *
 * - Data: AES-256-GCM under a data key (32 random bytes), a random 96-bit nonce per message.
 *   Sealed form, 64 bytes longer than the plaintext:
 *   `"MND" | version 0x01 | tenant uuid (16) | key id (16) | nonce (12) | ciphertext | tag (16)`.
 *   The first 36 bytes (the header) and the caller's `aad` are authenticated, so a payload moved
 *   to another tenant, or (with `aad`) to another key or stream, does not open. The key id
 *   names the key whatever its scope, so payloads sealed before per-document keys (under the
 *   tenant's key) still open.
 * - Data keys are stored only wrapped (AES-256-GCM under the master key): version 0x03 names the
 *   master key that wrapped it and binds it with tenant, scope and key id,
 *   `0x03 | master key id (8) | key id (16) | nonce (12) | wrapped key (32) | tag (16)`. The master
 *   key id is a hash of the master key (never the key), so a keyring given the current and the
 *   previous master keys opens each stored key with the one that wrapped it, and rotation
 *   (rotation.ts) knows which rows are left. Older forms carry no master key id and are tried
 *   under every configured master key: version 0x02 binds tenant, scope and key id,
 *   `0x02 | key id (16) | nonce (12) | wrapped key (32) | tag (16)`; version 0x01 (tenant keys made
 *   before scopes) binds tenant and key id and is accepted only as the tenant scope's key, so no
 *   stored key can be relabelled into another scope. New keys are always wrapped as 0x03 under
 *   the current master key.
 * - Known limits: random nonces keep one key safe for about 2^32 messages; data keys themselves
 *   are never rotated (only re-wrapped); a process caching keys (`cacheMs`) may use a key
 *   destroyed elsewhere for that long.
 */
/** The scope of a tenant's own key: what was sealed before per-document keys, and what is not a document's. */
export const TENANT_SCOPE = 'tenant';
/** The scope whose key seals one document's content: its blobs and the sealed fields of its events. */
export const documentScope = (documentId: string): string => `document:${documentId.toLowerCase()}`;
const SCOPE = /^(tenant|[a-z]+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A scope name as the keyring accepts it (`tenant`, or `{kind}:{uuid}` in lowercase). */
export function checkScope(scope: string): string {
  if (!SCOPE.test(scope)) throw new InvalidScopeError(scope);
  return scope;
}

/** What `current` and `put` answer for a scope that was destroyed: it never gets a key again. */
export const DESTROYED = 'destroyed' as const;

/**
 * Where wrapped data keys live (a Postgres table in production). Tenant ids arrive lowercase,
 * key ids as 16 bytes. A tenant has keys in scopes (its own, one per document, …); a destroyed
 * scope, or every scope of a destroyed tenant, is remembered so it never gets a key again.
 */
export interface KeyStore {
  /** the scope's wrapped key; null when it has none yet, `DESTROYED` once destroyed */
  current(tenantId: string, scope: string): Promise<Uint8Array | typeof DESTROYED | null>;
  /** the wrapped key with this id and its scope, or null when it is gone (or never existed) */
  byId(tenantId: string, keyId: Uint8Array): Promise<{ scope: string; wrapped: Uint8Array } | null>;
  /**
   * Stores `wrapped` as the scope's key unless the scope already has one, and answers the key
   * that is stored: the first writer wins, so two processes creating a key at once agree on
   * one. A destroyed scope stores nothing and answers `DESTROYED`.
   */
  put(tenantId: string, scope: string, keyId: Uint8Array, wrapped: Uint8Array): Promise<Uint8Array | typeof DESTROYED>;
  /**
   * Forgets the scope's keys for good (every scope's, without `scope`) and remembers the scope
   * (or the whole tenant) as destroyed. Destroying what is gone is not an error.
   */
  destroy(tenantId: string, scope?: string): Promise<void>;
}

export interface SealOptions {
  /** whose key seals the payload (default `tenant`); `documentScope(id)` for a document's content */
  scope?: string;
}

export interface Keyring {
  /**
   * Seals `plaintext` under the scope's data key (the tenant's own key by default), creating the
   * key on first use. Throws `DataKeyDestroyedError` when the scope (or the tenant) was destroyed:
   * nothing is ever sealed again under an erased scope.
   */
  encrypt(tenantId: string, plaintext: Uint8Array, aad?: Uint8Array, options?: SealOptions): Promise<Uint8Array>;
  /**
   * Opens what `encrypt` sealed for this tenant with the same `aad`, whatever its scope: the key
   * is found by the key id in the sealed header. Throws `DataKeyDestroyedError` when the key that
   * sealed it is gone, `DecryptionFailedError` when the bytes were altered, belong to another
   * tenant or the `aad` differs, `KeyUnwrapError` when the stored key does not unwrap with this
   * master key.
   */
  decrypt(tenantId: string, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /**
   * Crypto-shredding: deletes the scope's data key (`documentScope(id)` erases one document), or
   * without `scope` every key of the tenant (offboarding). What they sealed can never be opened
   * again, and the scope never gets a new key.
   */
  destroy(tenantId: string, scope?: string): Promise<void>;
}

export interface KeyringOptions {
  /** 32 bytes, base64 in configuration: wraps every new data key */
  masterKey: string | Uint8Array;
  /**
   * Master keys being rotated away from (`MANDANT_MASTER_KEY_PREVIOUS`): data keys still wrapped
   * under one of them open until `keys rotate` has re-wrapped them; nothing new is wrapped with them.
   */
  previousMasterKeys?: readonly (string | Uint8Array)[];
  store: KeyStore;
  /**
   * How long an unwrapped data key may be reused without asking the store (default 0: always
   * ask). A key destroyed by another process stays usable here for at most this long;
   * `destroy` through this keyring takes effect at once.
   */
  cacheMs?: number;
  now?: () => number;
}

/** The data key is gone (crypto-shredded), or never existed: the data is unreadable. */
export class DataKeyDestroyedError extends Error {
  override readonly name = 'DataKeyDestroyedError';
  constructor(
    readonly tenantId: string,
    readonly scope: string | null = null,
  ) {
    super(`the data key that sealed this payload no longer exists for tenant ${tenantId}${scope ? ` (scope ${scope})` : ''}`);
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
    options?: { cause?: unknown; reason?: string },
  ) {
    super(
      `the data key of tenant ${tenantId} does not unwrap with this master key${options?.reason ? `: ${options.reason}` : ''}`,
      options,
    );
  }
}

export class InvalidScopeError extends Error {
  override readonly name = 'InvalidScopeError';
  constructor(readonly scope: string) {
    super(`not a data key scope: ${JSON.stringify(scope)} (expected "tenant" or "{kind}:{uuid}")`);
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
const MASTER_ID = 8;
const WRAPPED_V3 = WRAPPED + MASTER_ID;
const WRAP_V1 = 0x01;
/** cache entries (two per key: by scope and by id) a keyring keeps at most */
const MAX_CACHED = 4096;
const WRAP_V2 = 0x02;
const WRAP_V3 = 0x03;
const encoder = new TextEncoder();

interface DataKey {
  id: Buffer;
  key: Buffer;
  scope: string;
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
const wrapAad = (version: number, tenantId: string, scope: string, keyId: Uint8Array, masterId = ''): Buffer =>
  Buffer.concat([
    encoder.encode(
      version === WRAP_V1
        ? `mandant/data-key/v1/${tenantId}/`
        : version === WRAP_V2
          ? `mandant/data-key/v2/${tenantId}/${scope}/`
          : `mandant/data-key/v3/${masterId}/${tenantId}/${scope}/`,
    ),
    keyId,
  ]);

/** A master key's public name: 16 hex digits of a hash of it, safe to print, log and store. */
export function masterKeyId(masterKey: string | Uint8Array): string {
  const key = parseMasterKey(masterKey);
  return createHash('sha256').update('mandant/master-key-id/').update(key).digest().subarray(0, MASTER_ID).toString('hex');
}

/** The id of the master key that wrapped this stored key, or null for the older forms that name none. */
export function wrappingMasterKeyId(wrapped: Uint8Array): string | null {
  return wrapped[0] === WRAP_V3 && wrapped.byteLength === WRAPPED_V3
    ? Buffer.from(wrapped.subarray(1, 1 + MASTER_ID)).toString('hex')
    : null;
}

/** Wraps under the current master key; unwraps under whichever configured key wrapped. */
export interface MasterKeys {
  /** the current master key's id: every key wrapped from now on names it */
  readonly currentId: string;
  /** current first, then the previous ones */
  readonly ids: readonly string[];
  wrap(tenantId: string, scope: string, keyId: Uint8Array, key: Uint8Array): Uint8Array;
  /** the data key inside `wrapped`, with its id; `KeyUnwrapError` naming the reason otherwise */
  unwrap(tenantId: string, scope: string, wrapped: Uint8Array): { id: Buffer; key: Buffer };
}

export function createMasterKeys(current: string | Uint8Array, previous: readonly (string | Uint8Array)[] = []): MasterKeys {
  const keys = [current, ...previous].map((k) => ({ key: parseMasterKey(k), id: masterKeyId(k) }));
  const [head] = keys;
  if (!head) throw new InvalidMasterKeyError('no master key');
  for (const [i, k] of keys.entries()) {
    if (keys.findIndex((o) => o.id === k.id) !== i)
      throw new InvalidMasterKeyError(`master key ${k.id} is given twice (a previous key equal to the current one, or repeated)`);
  }
  const ids = keys.map((k) => k.id);
  const attempt = (tenantId: string, master: Buffer, b: Buffer, off: number, aad: Buffer): Buffer =>
    open(
      master,
      b.subarray(off + KEY_ID, off + KEY_ID + NONCE),
      b.subarray(off + KEY_ID + NONCE, b.byteLength - TAG),
      b.subarray(b.byteLength - TAG),
      aad,
    );
  return {
    currentId: head.id,
    ids,
    wrap(tenantId, scope, keyId, key) {
      const nonce = randomBytes(NONCE);
      const masterId = Buffer.from(head.id, 'hex');
      const { ct, tag } = seal(head.key, nonce, key, wrapAad(WRAP_V3, tenantId, scope, keyId, head.id));
      return new Uint8Array(Buffer.concat([Buffer.from([WRAP_V3]), masterId, keyId, nonce, ct, tag]));
    },
    unwrap(tenantId, scope, wrapped) {
      const version = wrapped[0];
      const b = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
      if (version === WRAP_V3 && b.byteLength === WRAPPED_V3) {
        const masterId = b.subarray(1, 1 + MASTER_ID).toString('hex');
        const master = keys.find((k) => k.id === masterId);
        if (!master) {
          throw new KeyUnwrapError(tenantId, {
            reason: `it is wrapped under master key ${masterId}, which is neither the current one (${head.id}) nor a previous one configured (${ids.slice(1).join(', ') || 'none'})`,
          });
        }
        const id = Buffer.from(b.subarray(1 + MASTER_ID, 1 + MASTER_ID + KEY_ID));
        try {
          return { id, key: attempt(tenantId, master.key, b, 1 + MASTER_ID, wrapAad(version, tenantId, scope, id, masterId)) };
        } catch (err) {
          throw new KeyUnwrapError(tenantId, { cause: err, reason: `altered or moved (wrapped under master key ${masterId})` });
        }
      }
      const known = version === WRAP_V2 || (version === WRAP_V1 && scope === TENANT_SCOPE);
      if (b.byteLength !== WRAPPED || !known) throw new KeyUnwrapError(tenantId, { cause: new Error('unknown wrapped-key format') });
      // the older forms name no master key: the configured ones are tried in turn
      const id = Buffer.from(b.subarray(1, 1 + KEY_ID));
      let last: unknown;
      for (const k of keys) {
        try {
          return { id, key: attempt(tenantId, k.key, b, 1, wrapAad(version, tenantId, scope, id)) };
        } catch (err) {
          last = err;
        }
      }
      throw new KeyUnwrapError(tenantId, { cause: last });
    },
  };
}

export function createKeyring(options: KeyringOptions): Keyring {
  const masters = createMasterKeys(options.masterKey, options.previousMasterKeys);
  const { store } = options;
  const cacheMs = options.cacheMs ?? 0;
  const now = options.now ?? Date.now;
  /** by `{tenant}/{scope}` (for sealing) and by `{tenant}#{key id}` (for opening) */
  const cache = new Map<string, { dataKey: DataKey; at: number }>();
  const byScope = (tenantId: string, scope: string) => `${tenantId}/${scope}`;
  const byId = (tenantId: string, id: Uint8Array) => `${tenantId}#${Buffer.from(id).toString('hex')}`;

  const wrap = (tenantId: string, dataKey: DataKey): Uint8Array => masters.wrap(tenantId, dataKey.scope, dataKey.id, dataKey.key);
  const unwrap = (tenantId: string, scope: string, wrapped: Uint8Array): DataKey => ({
    ...masters.unwrap(tenantId, scope, wrapped),
    scope,
  });

  function cached(key: string): DataKey | null {
    const hit = cache.get(key);
    if (hit && now() - hit.at < cacheMs) return hit.dataKey;
    cache.delete(key);
    return null;
  }

  function remember(tenantId: string, dataKey: DataKey): DataKey {
    if (cacheMs > 0) {
      const at = now();
      // one key per document: keep the cache bounded (oldest first; Maps keep insertion order),
      // so neither memory nor unwrapped keys pile up in a long-running process
      if (cache.size + 2 > MAX_CACHED) {
        for (const [k, v] of cache) if (at - v.at >= cacheMs || cache.size + 2 > MAX_CACHED) cache.delete(k);
      }
      cache.set(byScope(tenantId, dataKey.scope), { dataKey, at });
      cache.set(byId(tenantId, dataKey.id), { dataKey, at });
    }
    return dataKey;
  }

  async function loadById(tenantId: string, id: Uint8Array): Promise<DataKey | null> {
    const hit = cached(byId(tenantId, id));
    if (hit) return hit;
    const found = await store.byId(tenantId, id);
    if (!found) return null;
    const dataKey = unwrap(tenantId, found.scope, found.wrapped);
    // the row's key id and the wrapped key's (authenticated) id must agree
    return dataKey.id.equals(Buffer.from(id)) ? remember(tenantId, dataKey) : null;
  }

  async function loadOrCreate(tenantId: string, scope: string): Promise<DataKey> {
    const hit = cached(byScope(tenantId, scope));
    if (hit) return hit;
    const found = await store.current(tenantId, scope);
    if (found === DESTROYED) throw new DataKeyDestroyedError(tenantId, scope);
    if (found) return remember(tenantId, unwrap(tenantId, scope, found));
    const fresh: DataKey = { id: randomBytes(KEY_ID), key: randomBytes(32), scope };
    const stored = await store.put(tenantId, scope, fresh.id, wrap(tenantId, fresh));
    if (stored === DESTROYED) throw new DataKeyDestroyedError(tenantId, scope);
    // Another writer may have won the race: use whatever the store kept.
    return remember(tenantId, unwrap(tenantId, scope, stored));
  }

  return {
    async encrypt(tenantId, plaintext, aad = new Uint8Array(), options = {}) {
      const t = checkTenantId(tenantId);
      const dataKey = await loadOrCreate(t, checkScope(options.scope ?? TENANT_SCOPE));
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
      const dataKey = await loadById(t, b.subarray(20, HEADER));
      if (!dataKey) throw new DataKeyDestroyedError(t);
      try {
        const nonce = b.subarray(HEADER, HEADER + NONCE);
        const plain = open(
          dataKey.key,
          nonce,
          b.subarray(HEADER + NONCE, b.byteLength - TAG),
          b.subarray(b.byteLength - TAG),
          Buffer.concat([b.subarray(0, HEADER), aad]),
        );
        return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
      } catch (err) {
        throw new DecryptionFailedError(t, 'authentication failed (altered bytes or different context)', { cause: err });
      }
    },

    async destroy(tenantId, scope) {
      const t = checkTenantId(tenantId);
      if (scope !== undefined) checkScope(scope);
      for (const [k, v] of cache) {
        if (k.startsWith(t) && (scope === undefined || v.dataKey.scope === scope)) cache.delete(k);
      }
      await store.destroy(t, scope);
    },
  };
}
