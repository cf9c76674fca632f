import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OpenSpan, Tracing } from '../platform/tracing/index.ts';
import { endpointOf } from './routes.ts';

const spans = new WeakMap<FastifyRequest, OpenSpan>();

/**
 * One server span per HTTP request, child of the caller's `traceparent` when it sent one.
 * Named by the endpoint table's operation (bounded), never by the path (which holds ids).
 * The handler runs inside the span (entered at `preHandler`: body parsing happens in the
 * socket's own async context, so entering earlier would be lost before the handler).
 * Registered only when tracing is on.
 */
export function registerTracingHooks(http: FastifyInstance, tracing: Tracing): void {
  http.addHook('onRequest', (request, _reply, done) => {
    const traceparent = request.headers.traceparent;
    const operation = endpointOf(request)?.operationId;
    const span = tracing.start(`HTTP ${request.method} ${operation ?? 'unmatched'}`, {
      'http.request.method': request.method,
      'http.route': request.routeOptions.url,
      'parley.operation': operation,
      'parley.request_id': request.id,
    }, typeof traceparent === 'string' ? traceparent : undefined);
    if (span) spans.set(request, span);
    tracing.within(span?.context, done);
  });
  http.addHook('preHandler', (request, _reply, done) => {
    tracing.within(spans.get(request)?.context, done);
  });
  http.addHook('onError', (request, _reply, error, done) => {
    spans.get(request)?.fail(error);
    done();
  });
  http.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.set({ 'http.response.status_code': reply.statusCode });
      span.end();
      spans.delete(request);
    }
    done();
  });
}
