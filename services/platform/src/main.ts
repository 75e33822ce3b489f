import { readEnv } from '@mandant/shared/env.ts';
import { createLogger } from '@mandant/shared/log.ts';
import { startPlatform } from './platform.ts';

const env = readEnv();
const log = createLogger({ level: env.LOG_LEVEL, name: 'mandant' });
const platform = await startPlatform(env, log);
const { url, operatorToken, runtime, defaults } = platform;
const api = `${url}/api/v1`;
process.stdout.write(
  [
    '',
    `Mandant is running at ${api}`,
    `  database: ${runtime.describe.database}`,
    `  events:   ${runtime.describe.nats}`,
    defaults
      ? `  single-tenant mode: no auth; tenant ${defaults.tenant_id}, project ${defaults.project_id}`
      : `  operator token: ${env.MANDANT_OPERATOR_TOKEN ? '(from MANDANT_OPERATOR_TOKEN)' : `${operatorToken}  (kept in ${env.MANDANT_DATA_DIR}/operator-token)`}`,
    '',
    'Try:',
    `  curl ${api}/readyz`,
    defaults
      ? `  curl ${api}/projects`
      : `  curl -X POST ${api}/tenants -H 'Authorization: Bearer <operator token>' -H 'Content-Type: application/json' -d '{"name":"Acme","slug":"acme"}'`,
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    platform.stop().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  });
}
