import { readEnv } from '@mandant/shared/env';
import { runContextProcess } from '../views.ts';
import { documentService, linkingService } from '@mandant/documents';
import { tenantLimits } from '@mandant/tenant';

// The document and linking services in one process; they share the read stores' keyring and blobs.
await runContextProcess(
  'documents',
  (deps) => {
    if (!deps.stores) throw new Error('read stores are required');
    // the upload quotas: the tenant's limits over this environment's defaults (QUOTA_*)
    const d = { ...deps, blobs: deps.stores.blobs, keyring: deps.stores.keyring, limits: tenantLimits(readEnv()) };
    return [documentService(d), linkingService(d)];
  },
  { stores: true },
);
