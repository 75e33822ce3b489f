import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every setting the platform reads from the environment, validated once at start-up. */
export const Env = z.object({
  DATABASE_URL: z.url().optional(),
  DATABASE_APP_URL: z.url().optional(),
  MANDANT_APP_DB_PASSWORD: z.string().min(1).optional(),
  MANDANT_MIGRATE: bool.default(true),
  NATS_URL: z.string().optional(),
  MANDANT_DATA_DIR: z.string().default('.mandant'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  MANDANT_OPERATOR_TOKEN: z.string().min(24, 'use at least 24 characters').optional(),
  JWT_HS256_SECRET: z.string().min(32, 'use at least 32 characters').optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  SINGLE_TENANT_MODE: bool.default(false),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
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
