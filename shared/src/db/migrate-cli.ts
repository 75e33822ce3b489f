import { readEnv } from '../env.ts';
import { createLogger } from '../log.ts';
import { migrate, prepareAppRole } from './migrate.ts';

/** `npm run migrate`: applies migrations and prepares the runtime role (a Kubernetes Job runs this). */
const env = readEnv();
const log = createLogger({ level: env.LOG_LEVEL, name: 'mandant-migrate' });
if (!env.DATABASE_URL) {
  log.error('DATABASE_URL is required');
  process.exit(2);
}
await migrate(env.DATABASE_URL, log);
await prepareAppRole(env.DATABASE_URL, env.MANDANT_APP_DB_PASSWORD);
log.info('database ready');
