import { documentCounts } from '@mandant/documents';
import { entityCounts } from '@mandant/entities';
import { projectDirectory } from '@mandant/project';
import { runContextProcess } from '../views.ts';
import { membershipService } from '@mandant/membership';

// The read stores are built for their keyring: users' and profiles' personal data is sealed.
// Membership reads projects through the project context's directory (with the documents
// and entities contexts' counts for the project view): the composition hands them in, as the platform does.
await runContextProcess(
  'membership',
  (deps) => {
    if (!deps.stores) throw new Error('read stores are required');
    return membershipService({
      ...deps,
      keyring: deps.stores.keyring,
      projects: projectDirectory(documentCounts, entityCounts(deps.stores.graph)),
    });
  },
  { stores: true },
);
