import { type MasterKeys, createMasterKeys, wrappingMasterKeyId } from './data-keys.ts';

/** What `wrappingMasterKeyId` cannot tell: a key stored in an older form that names no master key. */
export const UNNAMED = 'unnamed';

/** One stored data key as rotation sees it. */
export interface StoredKey {
  scope: string;
  keyId: Uint8Array;
  wrapped: Uint8Array;
}

/** The key store's side of master-key rotation (Postgres in production, memory in tests). */
export interface RewrapStore {
  /** every tenant holding at least one data key */
  keyTenants(): Promise<string[]>;
  /** the tenant's data keys counted by the master key that wrapped them (`UNNAMED` for the older forms) */
  countByMasterKey(tenantId: string): Promise<Record<string, number>>;
  /**
   * In one transaction: takes up to `limit` of the tenant's keys not wrapped under `currentId`,
   * stores what `rewrap` answers for each in its place, and answers how many it replaced (0:
   * none left). A failing `rewrap` changes nothing of the batch.
   */
  rewrapBatch(tenantId: string, currentId: string, limit: number, rewrap: (key: StoredKey) => Uint8Array): Promise<number>;
}

/** Stored keys are wrapped under a master key that is not configured: rotation would lose them. */
export class UnknownMasterKeyError extends Error {
  override readonly name = 'UnknownMasterKeyError';
  constructor(
    readonly unknown: Record<string, number>,
    readonly configured: readonly string[],
  ) {
    super(
      `data keys are wrapped under master key(s) not configured: ${Object.entries(unknown)
        .map(([id, n]) => `${id} (${n} keys)`)
        .join(', ')}; configured: ${configured.join(', ')} (current first). ` +
        'Set MANDANT_MASTER_KEY_PREVIOUS to the master key(s) they were wrapped under; nothing was changed.',
    );
  }
}

export interface KeyStatus {
  currentId: string;
  /** master key id (or `UNNAMED`) → data keys wrapped under it, over every tenant */
  byMasterKey: Record<string, number>;
  /** keys not yet under the current master key */
  left: number;
}

export async function keyStatus(store: RewrapStore, masters: MasterKeys, tenants?: readonly string[]): Promise<KeyStatus> {
  const byMasterKey: Record<string, number> = {};
  for (const tenant of tenants ?? (await store.keyTenants())) {
    for (const [id, n] of Object.entries(await store.countByMasterKey(tenant))) byMasterKey[id] = (byMasterKey[id] ?? 0) + n;
  }
  const left = Object.entries(byMasterKey).reduce((sum, [id, n]) => (id === masters.currentId ? sum : sum + n), 0);
  return { currentId: masters.currentId, byMasterKey, left };
}

export interface RotateOptions {
  store: RewrapStore;
  /** the new master key */
  masterKey: string | Uint8Array;
  /** the master keys rotated away from */
  previousMasterKeys?: readonly (string | Uint8Array)[];
  /** keys re-wrapped per transaction (default 100) */
  batchSize?: number;
  /** after each batch: keys re-wrapped so far, and the total that was left at the start */
  onProgress?: (done: number, total: number) => void;
  /** stop after this many batches (a crash, in tests) */
  maxBatches?: number;
  /** only these tenants' keys (default: every tenant holding keys) */
  tenants?: readonly string[];
}

/**
 * Re-wraps every data key not yet under the current master key, a batch per transaction, tenant
 * by tenant. Online: each row is replaced atomically, and a keyring given the current and the
 * previous master keys opens every row, re-wrapped or not. Resumable: a run stopped anywhere
 * leaves every row readable under one of the keys, and the next run takes what is left.
 * Refuses to start (changing nothing) while some row is wrapped under a master key not given.
 */
export async function rotateMasterKey(opts: RotateOptions): Promise<{ rewrapped: number; left: number }> {
  const masters = createMasterKeys(opts.masterKey, opts.previousMasterKeys);
  const tenants = opts.tenants ?? (await opts.store.keyTenants());
  const before = await keyStatus(opts.store, masters, tenants);
  const unknown = Object.fromEntries(Object.entries(before.byMasterKey).filter(([id]) => id !== UNNAMED && !masters.ids.includes(id)));
  if (Object.keys(unknown).length > 0) throw new UnknownMasterKeyError(unknown, masters.ids);
  const batchSize = opts.batchSize ?? 100;
  let rewrapped = 0;
  let batches = 0;
  for (const tenant of tenants) {
    for (;;) {
      if (opts.maxBatches !== undefined && batches >= opts.maxBatches) return { rewrapped, left: before.left - rewrapped };
      const n = await opts.store.rewrapBatch(tenant, masters.currentId, batchSize, (k) => {
        const { id, key } = masters.unwrap(tenant, k.scope, k.wrapped);
        // the row's key id and the wrapped key's (authenticated) id must agree, as when opening
        if (!id.equals(Buffer.from(k.keyId)))
          throw new Error(`data key row of tenant ${tenant} (${k.scope}) names another key id than it wraps`);
        return masters.wrap(tenant, k.scope, id, key);
      });
      if (n === 0) break;
      batches += 1;
      rewrapped += n;
      opts.onProgress?.(rewrapped, before.left);
    }
  }
  return { rewrapped, left: (await keyStatus(opts.store, masters, tenants)).left };
}

/** `wrappingMasterKeyId`, with the older forms counted as `UNNAMED`. */
export const masterKeyOf = (wrapped: Uint8Array): string => wrappingMasterKeyId(wrapped) ?? UNNAMED;
