import type { TracingConfig } from './tracing-config.ts';
import { noTracing, type Tracing } from './tracing.ts';

export type { SamplerConfig, TracingConfig } from './tracing-config.ts';
export { noTracing, type OpenSpan, type SpanAttributes, type TraceContext, type Tracing } from './tracing.ts';

/**
 * Tracing for a node: off (`noTracing`, no OpenTelemetry module loaded) unless the `OTEL_*`
 * variables turned it on; then the SDK is imported here, for the first time.
 */
export async function openTracing(config: TracingConfig | null, node: { nodeId: string; version: string }): Promise<Tracing> {
  if (!config) return noTracing;
  const { createOtelTracing } = await import('./otel-tracing.ts');
  const exporter = config.exporter === 'console'
    ? new (await import('@opentelemetry/sdk-trace-base')).ConsoleSpanExporter()
    : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({ url: config.url, headers: config.headers });
  return createOtelTracing({ serviceName: config.serviceName, nodeId: node.nodeId, version: node.version, exporter, sampler: config.sampler });
}
