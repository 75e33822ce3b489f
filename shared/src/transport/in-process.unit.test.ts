import { describeEventTransport } from './event-transport.contract.ts';
import { createInProcessTransport } from './in-process.ts';

// A fresh transport per test; the durable-resume test restarts its consumer on that same
// instance, which is all "durable" can mean in memory (the outbox covers process restarts).
describeEventTransport('in-process', async () => createInProcessTransport());
