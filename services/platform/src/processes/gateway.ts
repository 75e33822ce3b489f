import { fileURLToPath } from 'node:url';
import { rpc as patterns } from '@mandant/contracts';
import { ConfigError, readEnv } from '@mandant/shared/env';
import { createLogger } from '@mandant/shared/log';
import { createSql } from '@mandant/shared/db';
import { createRpcClient } from '@mandant/shared/rpc';
import { sealedBlobStore } from '@mandant/shared/stores';
import { stopOnSignals } from '@mandant/shared/service';
import { consoleDirSetting, createGateway } from '@mandant/gateway';
import { ensureSingleTenant } from '../single-tenant.ts';

// The gateway as its own process: HTTP in, NATS request/reply out. It keeps no state, so any
// number of replicas run behind one load balancer (they must share the operator token).

/** The console `npm run build:web` builds: the repository's web/dist (MANDANT_CONSOLE_DIR overrides it). */
const BUILT_CONSOLE = fileURLToPath(new URL('../../../../web/dist', import.meta.url));

const env = readEnv();
const log = createLogger({ level: env.LOG_LEVEL, name: 'mandant-gateway' });
if (!env.NATS_URL) throw new ConfigError('the gateway needs NATS_URL');
if (!env.MANDANT_OPERATOR_TOKEN) throw new ConfigError('the gateway needs MANDANT_OPERATOR_TOKEN, shared by every replica');
const operatorToken = env.MANDANT_OPERATOR_TOKEN;

// Uploads are stored (sealed) by the gateway before the document service records them, so it
// needs the blob store, the master key and the database holding the tenants' data keys.
const dbUrl = env.DATABASE_APP_URL ?? env.DATABASE_URL;
const uploadSql =
  dbUrl && env.MANDANT_MASTER_KEY ? createSql(dbUrl, { max: Math.min(4, env.DATABASE_POOL_MAX), appName: 'mandant-gateway' }) : null;
const uploads =
  uploadSql && env.MANDANT_MASTER_KEY
    ? {
        blobs: sealedBlobStore(env, { sql: uploadSql, masterKey: env.MANDANT_MASTER_KEY }).blobs,
        maxBytes: env.MAX_UPLOAD_BYTES,
        inFlightPerTenant: env.UPLOADS_IN_FLIGHT_PER_TENANT,
        inFlight: env.UPLOADS_IN_FLIGHT,
      }
    : undefined;
if (!uploads) log.warn('no DATABASE_APP_URL and MANDANT_MASTER_KEY: document uploads answer 503');

const rpc = await createRpcClient({ kind: 'nats', servers: env.NATS_URL.split(',').map((s) => s.trim()) });

const gateway = await createGateway({
  config: {
    operatorToken,
    jwt: {
      hs256Secret: env.JWT_HS256_SECRET,
      jwksUrl: env.JWT_JWKS_URL,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      maxLifetimeSeconds: env.JWT_MAX_LIFETIME_SECONDS,
      registerOnFirstUse: env.JWT_REGISTER_ON_FIRST_USE,
    },
    metricsToken: env.MANDANT_METRICS_TOKEN,
    metricsTopTenants: env.MANDANT_METRICS_TOP_TENANTS,
    session: { secret: env.MANDANT_SESSION_SECRET, cookieSecure: env.MANDANT_COOKIE_SECURE, trustProxy: env.MANDANT_TRUST_PROXY },
    console: { dir: consoleDirSetting(env.MANDANT_CONSOLE_DIR, BUILT_CONSOLE) },
    singleTenantPrincipal: env.SINGLE_TENANT_MODE ? (await ensureSingleTenant(rpc, log)).principal : null,
    bodyLimitBytes: env.MAX_BODY_BYTES,
    timeouts: { headersMs: env.HTTP_HEADERS_TIMEOUT_MS, requestMs: env.HTTP_REQUEST_TIMEOUT_MS, uploadIdleMs: env.UPLOAD_IDLE_TIMEOUT_MS },
    limits: { leaseMs: env.RATE_LIMIT_LEASE_MS, usageFlushMs: env.USAGE_FLUSH_MS },
    uploads,
  },
  rpc,
  log,
  // Ready when a request reaches the tenant service and back: every authenticated call needs
  // that path. Any reply counts, a refusal included; only silence is "not ready".
  ready: async () => {
    const reached = await rpc
      .request(
        patterns.authApiKey,
        { principal: null, operator: false, meta: { correlation_id: 'readiness', traceparent: null }, input: { secret: 'mnd_readiness' } },
        2_000,
      )
      .then(
        () => true,
        () => false,
      );
    return { ok: reached, checks: { services: reached } };
  },
});
const url = await gateway.listen(env.PORT, env.HOST);
// Probes and the Prometheus scrape go to the health port, which is not exposed publicly.
const healthUrl = await gateway.listenHealth(env.HEALTH_PORT, env.HOST);
// A launcher of replicas (PORT=0, HEALTH_PORT=0) reads the bound ports from this line, so it is
// written whatever LOG_LEVEL says, unless logs are off altogether.
const banner = log.isLevelEnabled('info') || env.LOG_LEVEL === 'silent' ? log : log.child({}, { level: 'info' });
banner.info({ url: `${url}/api/v1`, health: healthUrl, single_tenant: env.SINGLE_TENANT_MODE }, 'gateway listening');

// The HTTP side first, so in-flight requests still reach the services.
stopOnSignals(log, async () => {
  await gateway.close();
  await rpc.close();
  await uploadSql?.end({ timeout: 5 });
});
