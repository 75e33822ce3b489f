import { readEnv } from '@mandant/shared/env';
import { createLogger } from '@mandant/shared/log';
import { stopOnSignals } from '@mandant/shared/service';
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

stopOnSignals(log, () => platform.stop());
