import { describeBlobStore } from './blob-store.contract.ts';
import { createMemoryBlobStore } from './memory.ts';

describeBlobStore('in-memory', () => createMemoryBlobStore());
