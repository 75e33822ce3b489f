import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured logs. Callers bind tenant_id, project_id and correlation_id as child fields;
 * document content and secrets are never logged (the redact list is the last line of defence).
 */
export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options = {
    name: opts.name ?? 'mandant',
    level: opts.level ?? 'info',
    redact: ['secret', 'token', 'authorization', 'headers.authorization', 'admin_api_key', '*.secret', 'password'],
  };
  // a destination stream: tests read the log lines a process writes
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
