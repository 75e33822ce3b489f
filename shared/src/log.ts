import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Fields never written, wherever a caller puts them: credentials (API keys, tokens, cookies, the
 * headers that carry them, at the top or one level down, as in an `err` or a `req`) and the
 * personal data sealed in membership events. Each becomes "[Redacted]".
 */
export const REDACTED_PATHS = [
  'secret',
  'token',
  'authorization',
  'cookie',
  'password',
  'api_key',
  'admin_api_key',
  'email',
  'display_name',
  'sealed',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["set-cookie"]',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.api_key',
  '*.admin_api_key',
  '*.email',
  '*.display_name',
  '*.sealed',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
] as const;

/**
 * Structured logs. Callers bind tenant_id, project_id and correlation_id as child fields;
 * document content and secrets are never logged (the redact list is the last line of defence).
 */
export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options = {
    name: opts.name ?? 'mandant',
    level: opts.level ?? 'info',
    redact: [...REDACTED_PATHS],
  };
  // a destination stream: tests read the log lines a process writes
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
