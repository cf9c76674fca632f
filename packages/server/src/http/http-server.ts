import swagger from '@fastify/swagger';
import { ErrorCodes, ErrorResponse } from '@parley/protocol';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import type { Actor } from '../modules/auth/index.ts';
import { AppError, toErrorBody } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import { validationDetails } from '../platform/validation.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export interface HttpServerOptions {
  logger: Logger;
  bodyLimit: number;
  version: string;
}

const STATUS_CODES: Record<number, keyof typeof ErrorCodes> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
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
  if (body.code === 'internal') request.log.error({ err: error, requestId: request.id }, 'request failed');
  return reply.status(ErrorCodes[body.code].status).send({ error: body });
}

/**
 * Fastify with the project's conventions: TypeBox validation (the same compiled
 * validators the socket uses, with query strings coerced), one error shape, request ids,
 * and the OpenAPI document generated from the route schemas.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Access lines go out at debug level from our own onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => newId(),
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false } },
  });
  app.decorateRequest('actor', null);

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validator = Compile(schema as TSchema);
    return (value: unknown) => {
      const input = httpPart === 'body' ? value : Value.Convert(schema as TSchema, value);
      return validator.Check(input) ? { value: input } : { error: validator.Errors(input) as never };
    };
  });
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error as FastifyError));
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`)));
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Parley',
        version: options.version,
        description: 'Chat platform API. Realtime delivery is the WebSocket at /v1/ws (see docs/protocol.md); every error is `{"error": {code, message, details}}`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from /v1/auth/*, or a token from the product\'s own identity provider.' },
          adminKey: { type: 'http', scheme: 'bearer', description: 'The ADMIN_API_KEY, for server-to-server calls under /v1/admin.' },
        },
      },
    },
  });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

/** Route schema fragments shared by every route. */
export const errorResponses = { default: ErrorResponse } as const;
export const userSecurity = [{ bearer: [] }];
export const adminSecurity = [{ adminKey: [] }];

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** The authenticated actor of a route behind `requireUser`. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('unauthorized');
  return request.actor;
}
