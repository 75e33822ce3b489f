import { register } from 'node:module';

/**
 * Tracing for any Mandant process, loaded before the application with
 * `node --import tsx --import ./shared/src/telemetry/register.ts services/platform/src/processes/<name>.ts`.
 * Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_TRACES_EXPORTER`) is set, so the import costs
 * nothing otherwise. In ESM the instrumentation loader hook must be registered before the
 * instrumented modules (http, express, pg/postgres, nats…) are first imported: hence this
 * separate entry point rather than a call from main.ts.
 */
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_TRACES_EXPORTER) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTelemetry } = await import('./sdk.ts');
  startTelemetry();
}
