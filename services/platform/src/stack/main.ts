import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { createLogger } from '@mandant/shared/log';
import { stopOnSignals } from '@mandant/shared/service';
import { startStack } from './stack.ts';

// `npm run stack`: the production topology on one machine (see stack.ts and README "Deployment").

const env = z
  .object({
    MANDANT_STACK_DIR: z.string().default('.mandant-stack'),
    DATABASE_URL: z.url().optional(),
    PORT: z.coerce.number().int().min(0).max(65534).default(8080),
    STACK_REPLICAS: z.coerce.number().int().min(1).max(4).default(2),
    LOG_LEVEL: z.string().default('info'),
  })
  .parse(process.env);

const log = createLogger({ level: env.LOG_LEVEL, name: 'mandant-stack' });
const replicas = env.STACK_REPLICAS;
// `npm run stack` runs this file compiled (dist/stack.js): the services then run from the same build
const self = process.argv[1] ?? '';
const compiled = self.endsWith('.js') ? dirname(resolve(self)) : undefined;
const stack = await startStack({
  compiled,
  dir: env.MANDANT_STACK_DIR,
  databaseUrl: env.DATABASE_URL,
  replicas,
  gatewayPorts: Array.from({ length: replicas }, (_, i) => (env.PORT === 0 ? 0 : env.PORT + i)),
  log,
});

process.stdout.write(
  [
    '',
    `Mandant (stack: every service × ${replicas}, NATS cluster of 3, Qdrant, Meilisearch, Neo4j, S3)`,
    `  services: ${compiled ? `compiled, from ${compiled}` : 'TypeScript sources (tsx)'}`,
    ...stack.gateways.map((g, i) => `  gateway ${i + 1}: ${g}`),
    `  NATS:     ${stack.nats.url}`,
    `  operator token: ${stack.operatorToken}  (kept in ${join(env.MANDANT_STACK_DIR, 'operator-token')})`,
    `  logs:     ${join(env.MANDANT_STACK_DIR, 'logs')}/<service>-<replica>.log`,
    ...stack.replicas.map((r) => `  ${`${r.service}-${r.replica + 1}`.padEnd(14)} pid ${r.pid}  ${r.healthUrl}/readyz`),
    '',
  ].join('\n'),
);

stopOnSignals(log, () => stack.stop());
