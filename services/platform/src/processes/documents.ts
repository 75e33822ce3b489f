import { readEnv } from '@mandant/shared/env';
import { runServiceProcess } from '@mandant/shared/service';
import { documentService, linkingService } from '@mandant/documents';

// The document and linking services in one process; they share the read stores' keyring and blobs.
await runServiceProcess('documents', (deps) => {
  if (!deps.stores) throw new Error('read stores are required');
  // env: the upload quotas' defaults (QUOTA_*), see document/quota.ts
  const d = { ...deps, env: readEnv(), blobs: deps.stores.blobs, keyring: deps.stores.keyring };
  return [documentService(d), linkingService(d)];
}, { stores: true });
