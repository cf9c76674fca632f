/** How traces are sampled (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`). */
export type SamplerConfig =
  | { kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number };

/** Tracing as the `OTEL_*` variables configure it; `null` in Config means off. */
export interface TracingConfig {
  exporter: 'otlp' | 'console';
  /** OTLP/HTTP (protobuf) traces endpoint, `…/v1/traces`. */
  url: string;
  /** Sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`: an API key of a hosted collector). */
  headers: Record<string, string>;
  serviceName: string;
  sampler: SamplerConfig;
}
