import { Endpoints } from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endpointOf } from '../../http/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Metrics } from '../../platform/metrics/index.ts';

/** Operations whose answer is a page of the logs or of history: the large answers one user can ask for. */
const PAGE_READS: ReadonlySet<string> = new Set([Endpoints.listEvents.operationId, Endpoints.listUserEvents.operationId, Endpoints.listMessages.operationId]);

/** When a refused reader may try again: a page in flight is usually sent well within it. */
const RETRY_AFTER_MS = 1000;

/**
 * Page reads one user may have in flight over HTTP on this node, counted until the answer
 * has been handed to the kernel (or the connection is gone), not until the handler returns:
 * an answer a slow reader has not taken yet is still in this process' memory. With pages
 * bounded by bytes (PAGE_MAX_BYTES) this bounds what one account can pin: `max` × the page
 * budget. Socket requests need no count of their own: each socket's answers already share
 * its bounded send buffer (WS_MAX_BUFFERED_BYTES, then a resumable close). Counts are per
 * node on purpose: memory is.
 */
export function registerPageReadLimit(app: FastifyInstance, deps: { maxPerUser: number; metrics?: Metrics }): void {
  const { maxPerUser, metrics } = deps;
  const inFlight = new Map<string, number>();

  function release(userId: string): void {
    const left = (inFlight.get(userId) ?? 1) - 1;
    if (left <= 0) inFlight.delete(userId);
    else inFlight.set(userId, left);
  }

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const operationId = endpointOf(request)?.operationId;
    if (!request.actor || !operationId || !PAGE_READS.has(operationId)) return;
    const userId = request.actor.userId;
    const count = inFlight.get(userId) ?? 0;
    if (count >= maxPerUser) {
      metrics?.rateLimited.inc({ class: 'page_read', rule: 'page_reads_per_user' });
      throw new AppError('rate_limited', `At most ${maxPerUser} pages may be on their way to you at once; retry when one has arrived.`, { retryAfterMs: RETRY_AFTER_MS, rule: 'page_reads_per_user' });
    }
    inFlight.set(userId, count + 1);
    // 'close' comes once: after the answer is flushed, or when the connection goes first.
    reply.raw.once('close', () => release(userId));
  });
}
