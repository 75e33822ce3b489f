import { readEnv } from '@mandant/shared/env';
import { createRpcClient } from '@mandant/shared/rpc';
import { runContextProcess } from '../views.ts';
import { chatService } from '@mandant/chat';

// The chat service as its own process: it calls search and entities over NATS as the caller.
// It needs the read stores only for the keyring that seals messages (MANDANT_MASTER_KEY).
// The RPC client lives as long as the process (stopping exits it).
const env = readEnv();
if (!env.NATS_URL) throw new Error('NATS_URL is required');
// a cluster is several URLs, comma-separated, as the runtime reads them
const servers = env.NATS_URL.split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
const rpc = await createRpcClient({ kind: 'nats', servers });
await runContextProcess(
  'chat',
  (deps) => {
    if (!deps.stores) throw new Error('read stores are required');
    return chatService({ ...deps, stores: deps.stores, rpc, env });
  },
  { stores: true },
);
