import { projectDirectory } from '@mandant/project';
import { runServiceProcess } from '@mandant/shared/service';
import { membershipService } from './service.ts';

// The read stores are built for their keyring: users' and profiles' personal data is sealed.
// This entry point composes the process, so it alone may hand membership the project context's
// directory (the membership package itself cannot depend on project, which depends on it).
await runServiceProcess('membership', (deps) => {
  if (!deps.stores) throw new Error('read stores are required');
  return membershipService({ ...deps, keyring: deps.stores.keyring, projects: projectDirectory });
}, { stores: true });
