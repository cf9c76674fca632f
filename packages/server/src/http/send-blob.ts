import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServedBlob } from '../platform/blob/index.ts';
import { isAppError } from '../platform/errors.ts';

/**
 * Answers a signed link's route with what `serve` read (HEAD, which Fastify answers with
 * the GET route, gets the headers only). A range past the end is 416 with
 * `Content-Range: bytes *\/<size>`, as HTTP asks, so a client learns the size.
 */
export async function sendBlob(request: FastifyRequest, reply: FastifyReply, serve: (range: string | undefined) => Promise<ServedBlob>): Promise<never> {
  let served: ServedBlob;
  try {
    served = await serve(request.headers.range);
  } catch (error) {
    const size = isAppError(error) && error.code === 'range_not_satisfiable' ? (error.details as { size?: unknown } | undefined)?.size : undefined;
    if (typeof size === 'number') reply.header('content-range', `bytes */${size}`);
    throw error;
  }
  reply.status(served.status).headers(served.headers);
  if (request.method === 'HEAD') {
    served.body.destroy();
    return reply.send() as never;
  }
  return reply.send(served.body) as never;
}
