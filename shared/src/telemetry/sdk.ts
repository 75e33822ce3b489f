import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { onTelemetryFlush } from './tracing.ts';

/**
 * The OpenTelemetry Node SDK with the auto-instrumentations (HTTP, Express, DNS, net…), service
 * name from `OTEL_SERVICE_NAME` (default `mandant`). Traces go to `OTEL_EXPORTER_OTLP_ENDPOINT`
 * over OTLP/HTTP, or to the exporter `OTEL_TRACES_EXPORTER` names (`console`, `otlp`, `none`).
 * The `traceparent` of each request already travels on RPC requests and events, so a trace
 * continues across services where the transport carries it. File-system spans are off (noise).
 */
export function startTelemetry(): NodeSDK {
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'mandant',
    ...(process.env.OTEL_TRACES_EXPORTER ? {} : { traceExporter: new OTLPTraceExporter() }),
    instrumentations: [getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-fs': { enabled: false } })],
  });
  sdk.start();
  // Flushed when the process has drained (service/shutdown.ts), not when the signal comes: the
  // drain's own spans (the requests it still answers) are exported too.
  onTelemetryFlush(() => sdk.shutdown());
  return sdk;
}
