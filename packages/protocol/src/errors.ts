/**
 * The one error-code table. Every error Parley returns, over HTTP or the WebSocket,
 * carries one of these codes; the HTTP status and whether a retry can help are
 * properties of the code, not of the call site.
 */
export const ErrorCodes = {
  bad_request: { status: 400, retryable: false, message: 'The request is malformed.' },
  validation_failed: { status: 400, retryable: false, message: 'The request does not match the schema.' },
  unauthorized: { status: 401, retryable: false, message: 'Authentication is required or the credentials are invalid.' },
  token_expired: { status: 401, retryable: false, message: 'The access token has expired; refresh it.' },
  invalid_credentials: { status: 401, retryable: false, message: 'Handle or password is wrong.' },
  forbidden: { status: 403, retryable: false, message: 'You are not allowed to do this.' },
  account_suspended: { status: 403, retryable: false, message: 'This account is suspended.' },
  not_found: { status: 404, retryable: false, message: 'Not found.' },
  method_not_allowed: { status: 405, retryable: false, message: 'Method not allowed.' },
  request_timeout: { status: 408, retryable: true, message: 'The request took too long to arrive.' },
  conflict: { status: 409, retryable: false, message: 'The request conflicts with the current state.' },
  not_in_call: { status: 409, retryable: false, message: 'You are not in this call (or the peer is not).' },
  call_busy: { status: 409, retryable: false, message: 'You are already in another call.' },
  call_ended: { status: 409, retryable: false, message: 'This call is over.' },
  handle_taken: { status: 409, retryable: false, message: 'This handle is already taken.' },
  precondition_failed: { status: 412, retryable: false, message: 'A precondition of the request does not hold (a protocol version the server does not speak).' },
  payload_too_large: { status: 413, retryable: false, message: 'The payload is too large.' },
  unsupported_media_type: { status: 415, retryable: false, message: 'Unsupported content type.' },
  range_not_satisfiable: { status: 416, retryable: false, message: 'The requested byte range is outside the content.' },
  limit_exceeded: { status: 422, retryable: false, message: 'A configured limit would be exceeded.' },
  rate_limited: { status: 429, retryable: true, message: 'Too many requests; retry later.' },
  headers_too_large: { status: 431, retryable: false, message: 'The URL or the request headers are too large.' },
  internal: { status: 500, retryable: true, message: 'Internal error.' },
  unavailable: { status: 503, retryable: true, message: 'Temporarily unavailable; retry later.' },
} as const satisfies Record<string, { status: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export const errorCodeList = Object.keys(ErrorCodes) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** The body of every error: `{"error": {code, message, details?}}` over HTTP, `error` frames on the socket. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
  /** Present on `internal` errors so a report can be matched to the server log. */
  requestId?: string;
}
