import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '@parley/protocol';
import { ErrorCodes } from '@parley/protocol';
import { newId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';

/** Node's parser codes for requests refused before Fastify sees them, as the error table's codes. */
function codeFor(error: NodeJS.ErrnoException): { code: ErrorCode; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'headers_too_large', message: 'The URL or the request headers are too large.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout', message: 'The request took too long to arrive.' };
    case 'HPE_INVALID_METHOD':
      return { code: 'bad_request', message: 'Unknown HTTP method.' };
    default:
      return { code: 'bad_request', message: 'The HTTP request is malformed.' };
  }
}

/**
 * Answers requests Node's HTTP parser refuses (URL or headers too large, an unknown
 * method, broken framing, a timeout) with the same `{"error": {code, message}}` body and
 * headers as every other error, instead of Fastify's own shape, then closes the socket
 * (its framing can no longer be trusted).
 */
export function createClientErrorHandler(logger: Logger): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { code, message } = codeFor(error);
    const status = ErrorCodes[code].status;
    const requestId = newId();
    const body = JSON.stringify({ error: { code, message } });
    logger.debug({ err: error, requestId, code }, 'request refused before routing');
    if (!socket.writable) {
      socket.destroy(error);
      return;
    }
    // end() before destroy(): the answer is flushed first, then the socket goes.
    socket.end([
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      'x-content-type-options: nosniff',
      'cache-control: no-store',
      'connection: close',
      '',
      body,
    ].join('\r\n'), () => socket.destroy());
  };
}
