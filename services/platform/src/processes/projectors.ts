import { runContextProcess } from '../views.ts';
import { documentProjections } from '@mandant/projectors';

// The document read side as its own process: the vector, text, graph and blob projectors.
await runContextProcess(
  'projectors',
  ({ stores }) => {
    if (!stores) throw new Error('read stores are required');
    return { name: 'projectors', handlers: {}, projections: Object.values(documentProjections(stores)) };
  },
  { stores: true },
);
