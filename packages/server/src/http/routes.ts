import {
  type Access, type BodyOf, type Endpoint, EndpointExamples, type EndpointExample, type ErrorCode, ErrorCodes, errorCodesOf, ErrorResponse, Endpoints, type OperationId, type ParamsOf,
  type QueryOf, type ResponseOf,
} from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../platform/actor.ts';
import type { AccessHook } from './access-hooks.ts';

/** What a handler gets: the validated input of its endpoint, and who is calling. */
export interface RouteContext<E extends Endpoint> {
  params: ParamsOf<E>;
  query: QueryOf<E>;
  body: BodyOf<E>;
  /** The signed-in user on user routes; null on public and admin routes. */
  actor: E['access'] extends 'user' ? Actor : null;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface Route {
  readonly endpoint: Endpoint;
  readonly handle: (context: RouteContext<Endpoint>) => unknown;
}

/** A handler for one operation of the endpoint table: the only thing the server adds to it. */
export function route<E extends Endpoint>(endpoint: E, handle: (context: RouteContext<E>) => Promise<ResponseOf<E>> | ResponseOf<E>): Route {
  return { endpoint, handle: handle as Route['handle'] };
}

const SECURITY: Record<Access, Array<Record<string, string[]>>> = {
  public: [],
  user: [{ bearer: [] }],
  admin: [{ adminKey: [] }],
};

/** One error answer per status, shared by every route that can answer it (so each is described, and compiled, once). */
const errorResponseCache = new Map<string, object>();
function errorResponse(status: number, codes: ErrorCode[]): object {
  const key = `${status} ${codes.join(',')}`;
  let response = errorResponseCache.get(key);
  if (!response) {
    response = {
      ...ErrorResponse,
      description: codes.map((code) => `\`${code}\`: ${ErrorCodes[code].message}`).join(' '),
      ...(status === 429 ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying (error.details.retryAfterMs in milliseconds).' } } } : {}),
    };
    errorResponseCache.set(key, response);
  }
  return response;
}

/** The Fastify route schema of an endpoint: validation, serialization and the OpenAPI operation in one. */
function routeSchema(endpoint: Endpoint): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(endpoint)) {
    const status = ErrorCodes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  // A copy with the example as its JSON Schema `examples`: the OpenAPI generator turns it into
  // the media type's `example`, and the shared schema objects stay untouched.
  const example = EndpointExamples[endpoint.operationId as OperationId] as EndpointExample<never> | undefined;
  const withExample = (schema: object, value: unknown) => (value === undefined ? schema : { ...schema, examples: [value] });
  const response: Record<string, unknown> = {};
  response[endpoint.successStatus ?? 200] = endpoint.produces ? { description: endpoint.summary, content: { [endpoint.produces]: { schema: endpoint.response } } } : withExample(endpoint.response, example?.response);
  for (const [status, codes] of byStatus) response[status] = errorResponse(status, codes);
  // A non-JSON operation's other answers are of its type too (a file's 206).
  for (const [status, schema] of Object.entries(endpoint.otherResponses ?? {})) {
    response[status] = endpoint.produces ? { description: (schema as { description?: string }).description ?? endpoint.summary, content: { [endpoint.produces]: { schema } } } : schema;
  }
  return {
    operationId: endpoint.operationId,
    summary: endpoint.summary,
    tags: [endpoint.tag],
    security: endpoint.securityScheme ? [{ [endpoint.securityScheme]: [] }] : SECURITY[endpoint.access],
    ...(endpoint.params ? { params: endpoint.params } : {}),
    ...(endpoint.query ? { querystring: endpoint.query } : {}),
    ...(endpoint.body ? { body: withExample(endpoint.body, example?.body) } : {}),
    // A streamed body (uploads) is described by its type, and never parsed as JSON; a raw text one (webhooks) by its own.
    ...(endpoint.rawBody ? { consumes: [endpoint.rawBody.contentType] } : endpoint.consumes ? { consumes: [endpoint.consumes] } : {}),
    response,
  };
}

/**
 * Registers a handler for every operation of the endpoint table, and nothing else. Routes
 * of one access kind share a Fastify scope whose `onRequest` hook authenticates the caller,
 * so no route can forget it. Fails at start-up when an operation has no handler or two.
 */
export async function registerRoutes(app: FastifyInstance, routes: readonly Route[], hooks: Record<Exclude<Access, 'public'>, AccessHook>): Promise<void> {
  const handled = new Map<string, Route>();
  for (const entry of routes) {
    if (handled.has(entry.endpoint.operationId)) throw new Error(`two handlers for ${entry.endpoint.operationId}`);
    handled.set(entry.endpoint.operationId, entry);
  }
  const missing = Object.keys(Endpoints).filter((operationId) => !handled.has(operationId));
  if (missing.length > 0) throw new Error(`no handler for ${missing.join(', ')}`);

  for (const access of ['public', 'user', 'admin'] as const) {
    await app.register(async (scope) => {
      if (access !== 'public') scope.addHook('onRequest', hooks[access]);
      // Bodies that are not JSON reach their handler as the exact string sent (a signature covers those bytes).
      for (const { endpoint } of handled.values()) {
        if (endpoint.access !== access || !endpoint.consumes || scope.hasContentTypeParser(endpoint.consumes)) continue;
        scope.addContentTypeParser(endpoint.consumes, { parseAs: 'string' }, (_request, body, done) => done(null, body));
      }
      for (const { endpoint, handle } of handled.values()) {
        if (endpoint.access !== access) continue;
        scope.route({
          method: endpoint.method,
          url: endpoint.path,
          schema: routeSchema(endpoint),
          config: { endpoint },
          ...(endpoint.bodyLimitBytes ? { bodyLimit: endpoint.bodyLimitBytes } : {}),
          // File bytes go as they are stored: never re-encoded, so lengths and ranges stay true.
          ...(endpoint.produces === 'application/octet-stream' ? { compress: false as const } : {}),
          handler: async (request, reply) => {
            if (endpoint.successStatus) reply.code(endpoint.successStatus);
            return handle({
              params: request.params as never,
              query: request.query as never,
              body: request.body as never,
              actor: request.actor as never,
              request,
              reply,
            });
          },
        });
      }
    });
  }
}

/** The endpoint a request was routed to (undefined for requests no route claimed). */
export function endpointOf(request: FastifyRequest): Endpoint | undefined {
  return (request.routeOptions.config as { endpoint?: Endpoint } | undefined)?.endpoint;
}
