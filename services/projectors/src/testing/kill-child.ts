/**
 * Child process of `kill.int.test.ts`: runs the four document projectors on one tenant until
 * its parent kills it with SIGKILL. Configured through the environment only.
 */
import { createSql } from '@mandant/shared/db';
import { createLogger } from '@mandant/shared/log';
import { documentProjections } from '../index.ts';
import { isolate } from './isolate.ts';
import { catchUpAll, startAll, stopAll } from './snapshot.ts';
import { type TestEngines, createTestStores } from './stores.ts';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const appUrl = need('KILL_APP_URL');
const tenantId = need('KILL_TENANT_ID');
const sql = createSql(appUrl, { max: 6, appName: 'mandant-projectors-kill-child' });
// the engines the parent's stores use (e.g. Qdrant vectors), so both see the same stores
const engines = JSON.parse(process.env.KILL_ENGINES ?? '{}') as TestEngines;
const stores = await createTestStores({ appUrl, blobRoot: need('KILL_BLOB_ROOT'), masterKey: need('KILL_MASTER_KEY'), engines });
const projectors = startAll(sql, isolate(documentProjections(stores), need('KILL_SUFFIX'), tenantId), createLogger({ level: 'silent' }));
process.stdout.write('started\n');
await catchUpAll(sql, projectors, tenantId);
process.stdout.write('caught-up\n');
await stopAll(projectors);
await stores.close();
await sql.end();
