/**
 * Tracing as the rest of the server sees it: a few calls that are free when tracing is off.
 *
 * Nothing here imports OpenTelemetry. The SDK (`otel-tracing.ts`) is loaded with a dynamic
 * `import()` only when the `OTEL_*` variables turn tracing on, so a node without them runs
 * no instrumentation at all: `noTracing` calls the function it is given and returns.
 */

/** Span attributes: small, bounded values (ids, kinds, counts), never message text or tokens. */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** A captured trace context (opaque): what was active when work was queued, to run it under later. */
export type TraceContext = { readonly __traceContext: unique symbol };

/** A span started in one place and ended in another (an HTTP request: one hook starts it, another ends it). */
export interface OpenSpan {
  /** The context with this span active: work run `within` it becomes its children. */
  readonly context: TraceContext;
  set(attributes: SpanAttributes): void;
  fail(error: unknown): void;
  end(): void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Runs `fn` in a child span of the active one, ended when `fn` (or its promise) settles; a throw marks it failed. */
  span<T>(name: string, attributes: SpanAttributes | undefined, fn: () => T): T;
  /** A server span, child of a W3C `traceparent` a caller sent (or a new trace); null when off. */
  start(name: string, attributes: SpanAttributes, traceparent?: string): OpenSpan | null;
  /** The active context, to run queued work under it later (`within`); undefined when off. */
  capture(): TraceContext | undefined;
  within<T>(context: TraceContext | undefined, fn: () => T): T;
  /** The W3C `traceparent` of the active span, carried in broker envelopes; undefined when off or none. */
  traceparent(): string | undefined;
  /** Runs `fn` in a consumer span whose parent is a `traceparent` that came from another node. */
  continueFrom<T>(traceparent: string | undefined, name: string, attributes: SpanAttributes | undefined, fn: () => T): T;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Tracing off: every call is a direct call of the function given, nothing is allocated. */
export const noTracing: Tracing = {
  enabled: false,
  span: (_name, _attributes, fn) => fn(),
  start: () => null,
  capture: () => undefined,
  within: (_context, fn) => fn(),
  traceparent: () => undefined,
  continueFrom: (_traceparent, _name, _attributes, fn) => fn(),
  shutdown: async () => {},
};
