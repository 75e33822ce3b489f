import { randomBytes } from 'node:crypto';
import { createKeyring } from '../crypto/data-keys.ts';
import { createMemoryKeyStore } from '../crypto/memory-key-store.ts';
import { describeBlobStore } from './blob-store.contract.ts';
import { createEncryptingBlobStore } from './encrypting.ts';
import { createMemoryBlobStore } from './memory.ts';

// Encryption must not change what a BlobStore promises (sizes included).
describeBlobStore('encrypting over in-memory', () =>
  createEncryptingBlobStore(
    createMemoryBlobStore(),
    createKeyring({ masterKey: randomBytes(32).toString('base64'), store: createMemoryKeyStore() }),
  ),
);
