import type { ErrorBody, ErrorCode } from '@parley/protocol';
import { ErrorCodes, isErrorCode } from '@parley/protocol/client';

/** Every failure the SDK reports: a code from the protocol's table, plus whether retrying can help. */
export class ParleyError extends Error {
  readonly code: ErrorCode | 'disconnected' | 'timeout' | 'network';
  readonly status: number | null;
  readonly details: unknown;

  constructor(code: ParleyError['code'], message: string, status: number | null = null, details?: unknown) {
    super(message);
    this.name = 'ParleyError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** Network trouble and server-side `retryable` codes: the same request may succeed later. */
  get retryable(): boolean {
    if (this.code === 'disconnected' || this.code === 'timeout' || this.code === 'network') return true;
    return ErrorCodes[this.code].retryable;
  }

  static fromBody(body: ErrorBody | undefined, status: number | null): ParleyError {
    if (body && isErrorCode(body.code)) return new ParleyError(body.code, body.message, status, body.details);
    return new ParleyError('internal', body?.message ?? `unexpected response (${status})`, status);
  }
}

/** Anything thrown, as a ParleyError: what the SDK does not recognise becomes `internal`. */
export function asParleyError(error: unknown): ParleyError {
  return error instanceof ParleyError ? error : new ParleyError('internal', String((error as Error)?.message ?? error));
}
