import { DeliveredBody, type DeliveredBody as DeliveredBodyT, MessageParams, type MessageParams as MessageParamsT, MessageReceiptsResponse } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { ReceiptsService } from './receipts.service.ts';

export function registerReceiptRoutes(app: FastifyInstance, deps: { receipts: ReceiptsService; requireUser: PreHandler }): void {
  const { receipts, requireUser } = deps;
  const common = { tags: ['receipts'], security: userSecurity };

  app.post<{ Body: DeliveredBodyT }>('/v1/me/delivered', {
    onRequest: requireUser,
    schema: {
      ...common,
      summary: 'Report the highest seq per conversation that reached this device (batched; the socket frame `delivered` is the same)',
      body: DeliveredBody,
      response: { 200: Type.Object({}), ...errorResponses },
    },
  }, async (request) => {
    await receipts.delivered(actorOf(request), request.body.conversations);
    return {};
  });

  app.get<{ Params: MessageParamsT }>('/v1/conversations/:id/messages/:messageId/receipts', {
    onRequest: requireUser,
    schema: {
      ...common,
      summary: 'Who received and read a message: lists for its sender in direct conversations and small groups, counts otherwise (view counts in channels)',
      params: MessageParams,
      response: { 200: MessageReceiptsResponse, ...errorResponses },
    },
  }, async (request) => ({ receipts: await receipts.forMessage(actorOf(request), request.params.id, request.params.messageId) }));
}
