import type { Static, TSchema } from 'typebox';
import { type ErrorCode, ErrorCodes } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call an operation: anyone; a signed-in user (an access token from /v1/auth/*
 * or the product's identity provider); or the product's backend (the ADMIN_API_KEY).
 */
export type Access = 'public' | 'user' | 'admin';

/**
 * Token buckets an operation draws from, on top of what every request costs; the server
 * maps each class to its buckets in one place (modules/rate-limits). Socket requests draw
 * from the class of the operation they stand for.
 */
export const RateLimitClasses = ['send', 'login', 'register', 'create_conversation', 'edit', 'react', 'report', 'upload', 'call', 'search'] as const;
export type RateLimitClass = (typeof RateLimitClasses)[number];

/**
 * One HTTP operation, defined once: the server registers it, the SDK calls it, the rate
 * limits and the OpenAPI document read it. `errors` lists the codes that are specific to
 * the operation; the ones every operation of its kind can answer are added by
 * `errorCodesOf` (malformed input, authentication for user routes, rate limits, outages).
 */
export interface EndpointSpec {
  readonly method: HttpMethod;
  /** Fastify-style: `:name` segments are path parameters, named in `params`. */
  readonly path: string;
  readonly access: Access;
  /**
   * A bearer credential the handler itself checks on a `public` operation (the operator's
   * metrics token), named as the OpenAPI security scheme instead of `security: []`.
   */
  readonly securityScheme?: 'metricsToken';
  /** The OpenAPI tag: the area of the API it belongs to. */
  readonly tag: string;
  readonly summary: string;
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly body?: TSchema;
  /** The success answer (200, or `successStatus`). */
  readonly response: TSchema;
  /**
   * A success status other than 200, for protocols that fix it (tus answers a creation with
   * 201 and a part with 204, whose body is empty).
   */
  readonly successStatus?: 201 | 204;
  /** Other successful or expected statuses the operation answers with their own shape (e.g. /readyz's 503). */
  readonly otherResponses?: Readonly<Record<number, TSchema>>;
  /**
   * A request body that is not JSON (a signed webhook whose signature covers the exact bytes):
   * its content type; the handler gets the body as a string, unparsed.
   */
  readonly consumes?: string;
  /** When the answer is not JSON (Prometheus text). */
  readonly produces?: string;
  readonly errors: readonly ErrorCode[];
  readonly rateLimit?: RateLimitClass;
  /**
   * The body is not JSON but a stream of bytes the handler reads itself (`request.raw`),
   * never parsed nor held whole: uploads. `body` then only describes it for OpenAPI.
   */
  readonly rawBody?: { readonly contentType: string };
  /** A larger body than the server's default limit (bulk admin calls). */
  readonly bodyLimitBytes?: number;
}

/** An operation with its stable `operationId` (its key in the table). */
export type Endpoint<S extends EndpointSpec = EndpointSpec, Id extends string = string> = S & { readonly operationId: Id };

/** Gives every entry its key as `operationId`, so the id cannot drift from the name code uses. */
export function defineEndpoints<const T extends Record<string, EndpointSpec>>(specs: T): { readonly [K in keyof T & string]: Endpoint<T[K], K> } {
  const table: Record<string, Endpoint> = {};
  for (const [operationId, spec] of Object.entries(specs)) table[operationId] = Object.freeze({ ...spec, operationId });
  return Object.freeze(table) as never;
}

type StaticOr<S, Fallback> = S extends TSchema ? Static<S> : Fallback;
export type ParamsOf<E extends EndpointSpec> = StaticOr<E['params'], Record<string, never>>;
export type QueryOf<E extends EndpointSpec> = StaticOr<E['query'], Record<string, never>>;
export type BodyOf<E extends EndpointSpec> = StaticOr<E['body'], undefined>;
export type ResponseOf<E extends EndpointSpec> = Static<E['response']>;

const INPUT_ERRORS: readonly ErrorCode[] = ['bad_request', 'validation_failed'];
const BODY_ERRORS: readonly ErrorCode[] = ['payload_too_large', 'unsupported_media_type'];
const OUTAGE_ERRORS: readonly ErrorCode[] = ['internal', 'unavailable'];
const ACCESS_ERRORS: Readonly<Record<Access, readonly ErrorCode[]>> = {
  public: [],
  user: ['unauthorized', 'token_expired', 'account_suspended'],
  admin: ['unauthorized'],
};

/** Every code an operation can answer with: its own and those of its kind, in table order. */
export function errorCodesOf(endpoint: EndpointSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>([
    ...INPUT_ERRORS,
    ...(endpoint.body ? BODY_ERRORS : []),
    ...ACCESS_ERRORS[endpoint.access],
    ...endpoint.errors,
    ...(endpoint.rateLimit ? ['rate_limited' as const] : []),
    ...OUTAGE_ERRORS,
  ]);
  return (Object.keys(ErrorCodes) as ErrorCode[]).filter((code) => codes.has(code));
}

/** The path with its parameters filled in, each URL-encoded. */
export function endpointPath(endpoint: Pick<EndpointSpec, 'method' | 'path'>, params: Record<string, unknown> | undefined): string {
  return endpoint.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new TypeError(`${endpoint.method} ${endpoint.path}: missing path parameter "${name}"`);
    return encodeURIComponent(String(value));
  });
}
