import { type ErrorBody, type ErrorCode, ErrorCodes } from '@parley/protocol';
import { isDatabaseUnreachable } from './db/db-errors.ts';

/** The one error type services throw. HTTP and WebSocket adapters format it the same way. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ErrorCodes[code].message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ErrorCodes[this.code].status;
  }
}

export const notFound = (what = 'Not found.'): AppError => new AppError('not_found', what);
export const forbidden = (why?: string): AppError => new AppError('forbidden', why);

/**
 * The AppError a thrown value stands for: itself, `unavailable` (retryable) when the
 * database could not be reached — a restart or failover is not the client's fault, and
 * must not read as "your token is bad" — or `internal` for anything else.
 */
export function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnreachable(error)) return new AppError('unavailable', 'The database is unreachable; retry shortly.');
  return new AppError('internal');
}

/**
 * Turns anything thrown into a body that is safe to send. Only AppErrors keep their
 * message; everything else becomes `unavailable` or `internal` (see asAppError), the
 * latter with the request id, so internals never leak and the log line can still be found.
 */
export function toErrorBody(thrown: unknown, requestId: string): ErrorBody {
  const error = asAppError(thrown);
  const body: ErrorBody = { code: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  // validation_failed promises `details: [{path, message}]`; a refusal that named no field
  // is about the input as a whole.
  else if (error.code === 'validation_failed') body.details = [{ path: '/', message: error.message }];
  if (error.code === 'internal') body.requestId = requestId;
  return body;
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
