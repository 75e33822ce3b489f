import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every setting the platform reads from the environment, validated once at start-up. */
export const Env = z.object({
  DATABASE_URL: z.url().optional(),
  DATABASE_APP_URL: z.url().optional(),
  MANDANT_APP_DB_PASSWORD: z.string().min(1).optional(),
  MANDANT_MIGRATE: bool.default(true),
  /** connections a process's main pool opens at most (its store pool and the gateway's upload pool take at most this too) */
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(100).default(10),
  NATS_URL: z.string().optional(),
  /** copies of the event stream a NATS cluster keeps: 3 on a 3-node cluster (the stream is created or updated with it) */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  MANDANT_DATA_DIR: z.string().default('.mandant'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  MANDANT_OPERATOR_TOKEN: z.string().min(24, 'use at least 24 characters').optional(),
  JWT_HS256_SECRET: z.string().min(32, 'use at least 32 characters').optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  /** longest JWT lifetime accepted (exp − iat, and exp − now); tokens without exp are refused */
  JWT_MAX_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 60 * 60),
  /** a valid JWT whose sub is not a user of its tenant registers it (from the email/name claims) instead of 401 */
  JWT_REGISTER_ON_FIRST_USE: bool.default(false),
  /** Bearer token for GET /metrics on the public port; HEALTH_PORT serves /metrics without one */
  MANDANT_METRICS_TOKEN: z.string().min(24, 'use at least 24 characters').optional(),
  /** tenants with series of their own on /metrics; the others are summed under tenant="other" */
  MANDANT_METRICS_TOP_TENANTS: z.coerce.number().int().min(1).max(1000).default(20),
  SINGLE_TENANT_MODE: bool.default(false),
  /** what console session cookies are sealed with (HKDF); unset: derived from the operator token. Changing it ends every session */
  MANDANT_SESSION_SECRET: z.string().min(32, 'use at least 32 characters').optional(),
  /** mark the session cookie `Secure` on every answer (set it when users reach the gateway over https) */
  MANDANT_COOKIE_SECURE: bool.default(false),
  /** the gateway is behind a proxy that sets X-Forwarded-Proto: an https request then gets a `Secure` session cookie */
  MANDANT_TRUST_PROXY: bool.default(false),
  /** the built web console served at `/`: default the repository's web/dist; `none` serves no console */
  MANDANT_CONSOLE_DIR: z.string().min(1).optional(),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** 32 bytes, base64: wraps every tenant's data key; generated into MANDANT_DATA_DIR when absent (all-in-one only) */
  MANDANT_MASTER_KEY: z.string().min(1).optional(),
  /**
   * master keys being rotated away from, comma-separated (32 bytes base64 each): data keys still
   * wrapped under them open until `mandant keys rotate` has re-wrapped them under MANDANT_MASTER_KEY
   */
  MANDANT_MASTER_KEY_PREVIOUS: z.string().min(1).optional(),
  /** largest upload accepted (413 past it) */
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024),
  /** uploads read at once on one gateway process, per tenant and in all (each is held in memory while read) */
  UPLOADS_IN_FLIGHT_PER_TENANT: z.coerce.number().int().positive().default(4),
  UPLOADS_IN_FLIGHT: z.coerce.number().int().positive().default(16),
  /** an upload that sends nothing for this long is answered 408 and its connection closed */
  UPLOAD_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  /** the request line and headers must arrive within this, the whole request within HTTP_REQUEST_TIMEOUT_MS (408 and closed) */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
  /**
   * the embedding model of tenants and projects that set none: `auto` is all-minilm-l6-v2-q when
   * installed in MODELS_DIR, else local-hashing-v1-384 (lexical only; start-up warns and /readyz
   * says `degraded`); also a local model id (all-minilm-l6-v2-q, e5-small-v2-q, bge-small-en-v1.5-q),
   * local-hashing-v1-{dimension}, or a model of EMBEDDINGS_MODELS
   */
  EMBEDDING_MODEL: z.string().min(1).default('auto'),
  /** where local models are installed (`<dir>/<model id>/model.onnx`, `tokenizer.json`); default `.models` at the repository root */
  MODELS_DIR: z.string().min(1).optional(),
  /** threads one local model's inference uses (one inference at a time per model and process); default 2 */
  EMBEDDING_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  /** an OpenAI-compatible API root (e.g. https://api.openai.com/v1) serving the models in EMBEDDINGS_MODELS */
  EMBEDDINGS_URL: z.url().optional(),
  EMBEDDINGS_API_KEY: z.string().optional(),
  /** comma-separated `model` or `model:dimension` served by EMBEDDINGS_URL */
  EMBEDDINGS_MODELS: z.string().optional(),
  /** an OpenAI-compatible API root (e.g. https://api.openai.com/v1) whose `/chat/completions` writes chat answers; without it answers are extractive */
  CHAT_URL: z.url().optional(),
  CHAT_API_KEY: z.string().optional(),
  /** the chat model's id at CHAT_URL (required with it) */
  CHAT_MODEL: z.string().min(1).optional(),
  /** read stores: each engine when its URL is set, else the embedded default (Postgres tables, a local directory) */
  QDRANT_URL: z.url().optional(),
  QDRANT_API_KEY: z.string().optional(),
  MEILI_URL: z.url().optional(),
  MEILI_MASTER_KEY: z.string().optional(),
  NEO4J_URL: z
    .string()
    .regex(/^(bolt|neo4j)(\+s|\+ssc)?:\/\//, 'a bolt:// or neo4j:// URL')
    .optional(),
  NEO4J_USER: z.string().optional(),
  NEO4J_PASSWORD: z.string().optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_ACCESS_KEY: z.string().optional(),
  S3_SECRET_KEY: z.string().optional(),
  S3_REGION: z.string().default('us-east-1'),
  /** per-tenant rate limit of every API call (token bucket: sustained requests per second, burst); the operator overrides them per tenant */
  RATE_LIMIT_RPS: z.coerce.number().min(0.001).max(1_000_000).default(20),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(10_000_000).default(100),
  /** the stricter bucket that search, chat messages and uploads also take a token from */
  RATE_LIMIT_EXPENSIVE_RPS: z.coerce.number().min(0.001).max(1_000_000).default(2),
  RATE_LIMIT_EXPENSIVE_BURST: z.coerce.number().int().min(1).max(10_000_000).default(20),
  /** how long a gateway replica may serve from a lease of tokens before unused ones expire */
  RATE_LIMIT_LEASE_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** per-tenant quotas checked when an upload is recorded (403 past them) */
  QUOTA_STORED_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(10 * 1024 ** 3),
  QUOTA_DOCUMENTS: z.coerce.number().int().nonnegative().default(100_000),
  /** how often each gateway flushes the usage it counted in memory */
  USAGE_FLUSH_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Env = z.infer<typeof Env>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The master keys being rotated away from (`MANDANT_MASTER_KEY_PREVIOUS`, comma-separated). */
export function previousMasterKeys(env: Env): string[] {
  return (env.MANDANT_MASTER_KEY_PREVIOUS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}
