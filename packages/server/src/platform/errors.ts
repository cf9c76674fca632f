import { type ErrorBody, type ErrorCode, ErrorCodes } from '@parley/protocol';

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
 * Turns anything thrown into a body that is safe to send. Only AppErrors keep their
 * message; everything else becomes `internal` with the request id, so internals never
 * leak and the log line can still be found.
 */
export function toErrorBody(error: unknown, requestId: string): ErrorBody {
  if (error instanceof AppError) {
    const body: ErrorBody = { code: error.code, message: error.message };
    if (error.details !== undefined) body.details = error.details;
    if (error.code === 'internal') body.requestId = requestId;
    return body;
  }
  return { code: 'internal', message: ErrorCodes.internal.message, requestId };
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
