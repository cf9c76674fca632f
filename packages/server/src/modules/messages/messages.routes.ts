import {
  EditMessageBody, type EditMessageBody as EditMessageBodyT,
  IdParams, type IdParams as IdParamsT,
  MessageParams, type MessageParams as MessageParamsT,
  MessageResponse, MessagesQuery, type MessagesQuery as MessagesQueryT, MessagesResponse,
  SendMessageBody, type SendMessageBody as SendMessageBodyT,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { MessagesService } from './messages.service.ts';

export function registerMessageRoutes(app: FastifyInstance, deps: { messages: MessagesService; requireUser: PreHandler }): void {
  const { messages, requireUser } = deps;
  const common = { tags: ['messages'], security: userSecurity };

  app.post<{ Params: IdParamsT; Body: SendMessageBodyT }>('/v1/conversations/:id/messages', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Send a message; repeating a clientMsgId returns the original message', params: IdParams, body: SendMessageBody, response: { 200: MessageResponse, ...errorResponses } },
  }, async (request) => ({ message: await messages.send(actorOf(request), request.params.id, request.body) }));

  app.get<{ Params: IdParamsT; Querystring: MessagesQueryT }>('/v1/conversations/:id/messages', {
    onRequest: requireUser,
    schema: { ...common, summary: 'History: the latest page, or the page before / after a seq (ascending order)', params: IdParams, querystring: MessagesQuery, response: { 200: MessagesResponse, ...errorResponses } },
  }, (request) => messages.history(actorOf(request), request.params.id, request.query));

  app.patch<{ Params: MessageParamsT; Body: EditMessageBodyT }>('/v1/conversations/:id/messages/:messageId', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Edit your message', params: MessageParams, body: EditMessageBody, response: { 200: MessageResponse, ...errorResponses } },
  }, async (request) => ({ message: await messages.edit(actorOf(request), request.params.id, request.params.messageId, request.body.text) }));

  app.delete<{ Params: MessageParamsT }>('/v1/conversations/:id/messages/:messageId', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Delete a message for everyone (sender, or the group owner)', params: MessageParams, response: { 200: MessageResponse, ...errorResponses } },
  }, async (request) => ({ message: await messages.delete(actorOf(request), request.params.id, request.params.messageId) }));
}
