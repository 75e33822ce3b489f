import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

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
  // flush what is buffered when the process is asked to stop (the services exit on SIGTERM/SIGINT)
  const flush = () => void sdk.shutdown().catch(() => {});
  process.once('SIGTERM', flush);
  process.once('SIGINT', flush);
  return sdk;
}
