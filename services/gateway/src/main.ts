import { rpc as patterns } from '@mandant/contracts';
import { ConfigError, readEnv } from '@mandant/shared/env.ts';
import { createLogger } from '@mandant/shared/log.ts';
import { createRpcClient } from '@mandant/shared/rpc/rpc.ts';
import { stopOnSignals } from '@mandant/shared/service/shutdown.ts';
import { ensureSingleTenant } from '@mandant/shared/service/single-tenant.ts';
import { createGateway } from './app.ts';

// The gateway as its own process: HTTP in, NATS request/reply out. It keeps no state, so any
// number of replicas run behind one load balancer (they must share the operator token).

const env = readEnv();
const log = createLogger({ level: env.LOG_LEVEL, name: 'mandant-gateway' });
if (!env.NATS_URL) throw new ConfigError('the gateway needs NATS_URL');
if (!env.MANDANT_OPERATOR_TOKEN) throw new ConfigError('the gateway needs MANDANT_OPERATOR_TOKEN, shared by every replica');
const operatorToken = env.MANDANT_OPERATOR_TOKEN;

const rpc = await createRpcClient({ kind: 'nats', servers: env.NATS_URL.split(',').map((s) => s.trim()) });

const gateway = await createGateway({
  config: {
    operatorToken,
    jwt: { hs256Secret: env.JWT_HS256_SECRET, jwksUrl: env.JWT_JWKS_URL, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE },
    singleTenantPrincipal: env.SINGLE_TENANT_MODE ? (await ensureSingleTenant(rpc, log)).principal : null,
    bodyLimitBytes: env.MAX_BODY_BYTES,
  },
  rpc,
  log,
  // Ready when a request reaches the tenant service and back: every authenticated call needs
  // that path. Any reply counts, a refusal included; only silence is "not ready".
  ready: async () => {
    const reached = await rpc
      .request(patterns.authApiKey, { principal: null, operator: false, meta: { correlation_id: 'readiness', traceparent: null }, input: { secret: 'mnd_readiness' } }, 2_000)
      .then(() => true, () => false);
    return { ok: reached, checks: { services: reached } };
  },
});
const url = await gateway.listen(env.PORT, env.HOST);
log.info({ url: `${url}/api/v1`, single_tenant: env.SINGLE_TENANT_MODE }, 'gateway listening');

// The HTTP side first, so in-flight requests still reach the services.
stopOnSignals(log, () => gateway.close().then(() => rpc.close()));
