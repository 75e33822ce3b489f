import { runServiceProcess } from '@mandant/shared/service';
import { membershipService } from './service.ts';

// The read stores are built for their keyring: users' and profiles' personal data is sealed.
await runServiceProcess('membership', (deps) => {
  if (!deps.stores) throw new Error('read stores are required');
  return membershipService({ ...deps, keyring: deps.stores.keyring });
}, { stores: true });
