import { context, type Context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type Sampler, SimpleSpanProcessor,
  type SpanExporter, TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerConfig } from './tracing-config.ts';
import type { OpenSpan, SpanAttributes, TraceContext, Tracing } from './tracing.ts';

export interface OtelTracingOptions {
  serviceName: string;
  nodeId: string;
  version: string;
  exporter: SpanExporter;
  /** Export each span as it ends (tests) instead of in batches (production). */
  immediate?: boolean;
  sampler?: SamplerConfig;
}

const propagator = new W3CTraceContextPropagator();

/**
 * One context manager per process (OpenTelemetry's context API is global by design): the
 * AsyncLocalStorage one, so a span stays active across awaits. Several apps in one process
 * (tests) share it; each has its own tracer provider, which is never registered globally.
 */
let contextManagerSet = false;
function ensureContextManager(): void {
  if (contextManagerSet) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerSet = true;
}

function samplerOf(config: SamplerConfig | undefined): Sampler {
  switch (config?.kind) {
    case 'always_off': return new AlwaysOffSampler();
    case 'always_on': return new AlwaysOnSampler();
    case 'traceidratio': return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    default: return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Undefined values left out (OpenTelemetry would warn about them). */
function clean(attributes: SpanAttributes | undefined): Record<string, string | number | boolean> | undefined {
  if (!attributes) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

function fail(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
  // The error's code or class only: messages can quote input.
  const code = (error as { code?: unknown } | null)?.code;
  span.setAttribute('error.type', typeof code === 'string' ? code : error instanceof Error ? error.name : 'error');
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';

const asContext = (value: TraceContext | undefined) => value as unknown as Context | undefined;
const asTraceContext = (value: Context) => value as unknown as TraceContext;

export function createOtelTracing(options: OtelTracingOptions): Tracing {
  ensureContextManager();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.instance.id': options.nodeId, 'service.version': options.version }),
    sampler: samplerOf(options.sampler),
    spanProcessors: [options.immediate ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(options.exporter)],
  });
  const tracer = provider.getTracer('parley', options.version);

  const runIn = <T>(span: Span, parent: Context, fn: () => T): T => {
    let result: T;
    try {
      result = context.with(trace.setSpan(parent, span), fn);
    } catch (error) {
      fail(span, error);
      span.end();
      throw error;
    }
    if (!isThenable(result)) {
      span.end();
      return result;
    }
    return (result as unknown as Promise<unknown>).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as T;
  };

  return {
    enabled: true,
    span(name, attributes, fn) {
      const parent = context.active();
      return runIn(tracer.startSpan(name, { attributes: clean(attributes) }, parent), parent, fn);
    },
    start(name, attributes, traceparent): OpenSpan {
      const parent = traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter) : ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: clean(attributes) }, parent);
      return {
        context: asTraceContext(trace.setSpan(parent, span)),
        set: (more) => void span.setAttributes(clean(more) ?? {}),
        fail: (error) => fail(span, error),
        end: () => span.end(),
      };
    },
    capture: () => asTraceContext(context.active()),
    within: (captured, fn) => (captured ? context.with(asContext(captured)!, fn) : fn()),
    traceparent() {
      const carrier: Record<string, string> = {};
      propagator.inject(context.active(), carrier, defaultTextMapSetter);
      return carrier.traceparent;
    },
    continueFrom(traceparent, name, attributes, fn) {
      // Delivery runs in the broker client's context, never a request's: the parent is only what the envelope carried.
      const parent = traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter) : ROOT_CONTEXT;
      return runIn(tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes: clean(attributes) }, parent), parent, fn);
    },
    shutdown: () => provider.shutdown(),
  };
}
