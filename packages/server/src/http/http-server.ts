import compress from '@fastify/compress';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import swagger from '@fastify/swagger';
import { ErrorCodes, errorCodesOf, Limits } from '@parley/protocol';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Actor } from '../platform/actor.ts';
import { AppError, toErrorBody } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { findUnstorableText, validationDetails } from '../platform/validation.ts';
import { createAllowedMethods } from './allowed-methods.ts';
import { createClientErrorHandler } from './client-errors.ts';
import { requestIdFor } from './request-id.ts';
import { endpointOf } from './routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyInstance {
    /** `METHOD /path` of every route registered, HEAD twins left out: what the server actually serves. */
    servedRoutes(): string[];
  }
}

export interface HttpServerOptions {
  logger: Logger;
  bodyLimit: number;
  /** Closes an HTTP socket silent in both directions for this long (ws clears it on upgrade). */
  idleTimeoutMs: number;
  /** Request line plus headers; larger requests get 431 headers_too_large (Node's default: 16 KiB). */
  maxHeaderBytes?: number;
  version: string;
  /** Take the client address (`request.ip`) from X-Forwarded-For: only behind a proxy you trust. */
  trustProxy?: boolean;
  /** Tried before the JSON 404 for requests no route claims (the web client); true when it answered. */
  notFoundFallback?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
}

const STATUS_CODES: Record<number, keyof typeof ErrorCodes> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
  503: 'unavailable',
};

/** Every error leaves as `{"error": {code, message, details?}}` with the status from the code table. */
function sendError(request: FastifyRequest, reply: FastifyReply, error: FastifyError | AppError | Error): FastifyReply {
  let appError: unknown = error;
  const fastifyError = error as FastifyError;
  if (!(error instanceof AppError)) {
    if (fastifyError.validation) {
      appError = new AppError('validation_failed', `The request ${fastifyError.validationContext ?? 'input'} does not match the schema.`, validationDetails(fastifyError.validation as never));
    } else if (fastifyError.statusCode && fastifyError.statusCode < 500 && STATUS_CODES[fastifyError.statusCode]) {
      appError = new AppError(STATUS_CODES[fastifyError.statusCode]!, fastifyError.message);
    }
  }
  const body = toErrorBody(appError, String(request.id));
  const endpoint = endpointOf(request);
  // The endpoint table promises which codes an operation answers (and the OpenAPI document
  // publishes them): an answer outside that list is a table to fix, not a client to break.
  if (endpoint && !errorCodesOf(endpoint).includes(body.code)) request.log.warn({ operationId: endpoint.operationId, code: body.code }, 'error code not declared in the endpoint table');
  if (body.code === 'internal') request.log.error({ err: error, requestId: request.id }, 'request failed');
  else if (body.code === 'unavailable' && !(appError instanceof AppError)) request.log.warn({ err: error, requestId: request.id }, 'request failed: database unreachable');
  // Rate limits say when to come back, in the standard header too (whole seconds, rounded up).
  const retryAfterMs = (body.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (body.code === 'rate_limited' && typeof retryAfterMs === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return reply.status(ErrorCodes[body.code].status).send({ error: body });
}

const CANONICAL_INTEGER = /^-?(?:0|[1-9]\d*)$/;
const CANONICAL_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** One query-string or path value, converted only when its text is exactly what the schema's type looks like. */
function coerceScalar(schema: Record<string, unknown> | undefined, value: unknown): unknown {
  if (typeof value !== 'string' || !schema) return value;
  const types = Array.isArray(schema.anyOf) ? (schema.anyOf as Array<Record<string, unknown>>).map((member) => member.type) : [schema.type];
  if (types.includes('integer') && CANONICAL_INTEGER.test(value)) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value;
  }
  if (types.includes('number') && CANONICAL_NUMBER.test(value)) {
    const number = Number(value);
    return Number.isFinite(number) ? number : value;
  }
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/**
 * Query strings and path parameters arrive as text. Unlike a general-purpose converter
 * (which turns "1.5" into 1, "true" into 1 and "0x10" into 16), this converts a value only
 * when it is written exactly as its type, so anything else fails validation by name.
 */
function coerceTextInput(schema: TSchema, value: unknown): unknown {
  const properties = (schema as { properties?: Record<string, Record<string, unknown>> }).properties;
  if (!properties || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const converted: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) converted[key] = Object.hasOwn(properties, key) ? coerceScalar(properties[key], item) : item;
  return converted;
}


/**
 * Fastify's own response serializers (fast-json-stringify), each built when its route first
 * answers with that status rather than all at startup: building them was a quarter of the
 * time a node took to start (~0.5 s here), and a node restarted in a reconnect storm keeps
 * every client waiting that long. `endpoints.test.ts` builds every one of them, so a schema
 * they cannot serialize still fails the tests rather than a first request.
 */
export const lazySerializers: SerializerSelector.SerializerFactory = (externalSchemas, serializerOptions) => {
  const build = SerializerSelector()(externalSchemas, serializerOptions);
  return (route) => {
    let serialize: SerializerSelector.Serializer | undefined;
    return (value) => (serialize ??= build(route))(value);
  };
};

/**
 * Fastify with the project's conventions: TypeBox validation (the same compiled
 * validators the socket uses, with query strings coerced), one error shape, request ids,
 * and the OpenAPI document generated from the route schemas.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
    loggerInstance: options.logger as FastifyBaseLogger,
    // Access lines go out at debug level from our own onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    ...(options.maxHeaderBytes ? { http: { maxHeaderSize: options.maxHeaderBytes } } : {}),
    connectionTimeout: options.idleTimeoutMs,
    // A client's X-Request-Id is adopted only when short and plain (see request-id.ts).
    requestIdHeader: false,
    genReqId: (request) => requestIdFor(request.headers['x-request-id']),
    clientErrorHandler: createClientErrorHandler(options.logger),
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
    ajv: { customOptions: { coerceTypes: false } },
    // Longer than any valid id, even percent-encoded, so an overlong id reaches the schema
    // and is answered like any other invalid id.
    routerOptions: { maxParamLength: Limits.idMaxLength * 4 },
    // Malformed paths get the project's error shape too, not Fastify's own.
    frameworkErrors: (error, request, reply) => {
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long.' : error.code === 'FST_ERR_BAD_URL' ? 'The URL is malformed.' : error.message;
      // These never reach the route hooks, so the headers every answer carries are set here.
      reply.header('x-request-id', request.id).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
      sendError(request, reply, new AppError(error.statusCode === 500 ? 'internal' : 'bad_request', message));
    },
  });
  app.decorateRequest('actor', null);
  const served: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') served.push(`${method} ${route.url}`);
  });
  app.decorate('servedRoutes', () => [...served]);
  // Only JSON bodies: without this, Fastify's built-in text/plain parser would hand a string
  // to the schema (a misleading 400) instead of answering 415 unsupported_media_type.
  app.removeContentTypeParser('text/plain');
  // A request without a body that still says `Content-Type: application/json` (HTTP client
  // wrappers often set it on every call) is a request without a body, not malformed JSON.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });

  // Operations whose body is a stream of bytes (uploads, `rawBody` in the endpoint table)
  // get the request unread: the handler streams `request.raw` itself, within its own limit.
  // Any other body that is not JSON is still 415, as without this parser.
  app.addContentTypeParser('*', (request, _payload, done) => {
    if (endpointOf(request)?.rawBody) done(null, undefined);
    else done(new AppError('unsupported_media_type', `Unsupported Content-Type: ${String(request.headers['content-type'] ?? '(none)').slice(0, 100)}; send application/json.`), undefined);
  });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    // A streamed body's schema only describes it (OpenAPI); the handler reads the bytes.
    if (httpPart === 'body' && (schema as { format?: unknown }).format === 'binary') return () => ({ value: undefined });
    // Compiled on the route's first request, not at startup (as the serializers, see lazySerializers).
    let validator: ReturnType<typeof Compile> | undefined;
    return (value: unknown) => {
      validator ??= Compile(schema as TSchema);
      const input = httpPart === 'body' ? value : coerceTextInput(schema as TSchema, value);
      return validator.Check(input) ? { value: input } : { error: validator.Errors(input) as never };
    };
  });
  app.addHook('preValidation', async (request) => {
    // A request that sends no body at all is validated as an empty object: bodies whose fields
    // are all optional may be left out, and a missing required field is reported by name
    // rather than as "must be object". An explicit JSON `null` is still refused.
    if (request.body === undefined) request.body = {};
    // Checked for every route here, so no schema has to remember it.
    for (const [part, value] of [['body', request.body], ['querystring', request.query], ['params', request.params]] as const) {
      const path = findUnstorableText(value, '');
      if (path) {
        throw new AppError('validation_failed', `The request ${part} does not match the schema.`, [{ path, message: 'must not contain NUL characters or unpaired surrogates' }]);
      }
    }
  });
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error as FastifyError));
  const fallback = options.notFoundFallback;
  // Built on the first miss: every route is registered by then (none can be added once the server is ready).
  let allowedMethods: ((path: string) => string[]) | undefined;
  app.setNotFoundHandler(async (request, reply) => {
    if (fallback && (await fallback(request, reply))) return reply;
    const path = request.url.split('?')[0] ?? '/';
    allowedMethods ??= createAllowedMethods(served.map((route) => ({ method: route.slice(0, route.indexOf(' ')), path: route.slice(route.indexOf(' ') + 1) })));
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendError(request, reply, new AppError('method_not_allowed', `${request.method} is not served on ${path}; it answers ${allowed.join(', ')}.`));
    }
    return sendError(request, reply, new AppError('not_found', `No route for ${request.method} ${path}.`));
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Every answer, the API's JSON as much as the web client's files: a browser must never
    // guess a type (an error body echoing input must not become a script or a page).
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route's template, never the URL: query strings carry signed links' signatures, paths carry handles.
    const params = request.params as Record<string, unknown> | undefined;
    const conversationId = request.routeOptions.url?.startsWith('/v1/conversations/:id') || request.routeOptions.url?.startsWith('/v1/admin/conversations/:id') ? params?.id : undefined;
    request.log.debug({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      ms: reply.elapsedTime,
      ...(request.actor ? { userId: request.actor.userId } : {}),
      ...(typeof conversationId === 'string' ? { conversationId } : {}),
    }, 'request');
  });

  // Text answers of 1 KiB or more (JSON pages, the OpenAPI document, the web client's
  // scripts and styles) go compressed to clients that accept it. Request bodies are not
  // inflated: the body limit stays a limit on what is actually read.
  await app.register(compress, {
    global: true,
    globalDecompression: false,
    encodings: ['br', 'gzip', 'deflate'],
    threshold: 1024,
    customTypes: /^text\/(?!event-stream)|[+/]json(?:;|$)|[+/]xml(?:;|$)|\/javascript(?:;|$)/u,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      // Relative: the document describes whichever host serves it.
      servers: [{ url: '/', description: 'The server that serves this document' }],
      info: {
        title: 'Parley',
        version: options.version,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description: 'Chat platform API. Realtime delivery is the WebSocket at /v1/ws (see docs/protocol.md); every error is `{"error": {code, message, details}}`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from /v1/auth/*, or a token from the product\'s own identity provider.' },
          adminKey: { type: 'http', scheme: 'bearer', description: 'The ADMIN_API_KEY, for server-to-server calls under /v1/admin.' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN, for the Prometheus scraper.' },
        },
      },
    },
  });
  return app;
}
