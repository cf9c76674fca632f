import {
  EditMessageBody, type EditMessageBody as EditMessageBodyT,
  IdParams, type IdParams as IdParamsT,
  MessageParams, type MessageParams as MessageParamsT,
  MessageResponse, MessagesQuery, type MessagesQuery as MessagesQueryT, MessagesResponse,
  SendMessageBody, type SendMessageBody as SendMessageBodyT,
  ForwardBody, type ForwardBody as ForwardBodyT, PinsResponse, ReactionParams, type ReactionParams as ReactionParamsT, ReactionsResponse,
} from '@parley/protocol';
import Type from 'typebox';
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

  app.post<{ Params: IdParamsT; Body: ForwardBodyT }>('/v1/conversations/:id/forward', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Forward a message you can see here, attributed to its original (not out of protected conversations)', params: IdParams, body: ForwardBody, response: { 200: MessageResponse, ...errorResponses } },
  }, async (request) => ({ message: await messages.forward(actorOf(request), request.params.id, request.body) }));

  app.get<{ Params: MessageParamsT }>('/v1/conversations/:id/messages/:messageId/reactions', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Who reacted with what', params: MessageParams, response: { 200: ReactionsResponse, ...errorResponses } },
  }, (request) => messages.reactions(actorOf(request), request.params.id, request.params.messageId));

  app.put<{ Params: ReactionParamsT }>('/v1/conversations/:id/messages/:messageId/reactions/:emoji', {
    onRequest: requireUser,
    schema: { ...common, summary: 'React (idempotent; the emoji URL-encoded in the path)', params: ReactionParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await messages.react(actorOf(request), request.params.id, request.params.messageId, request.params.emoji);
    return {};
  });

  app.delete<{ Params: ReactionParamsT }>('/v1/conversations/:id/messages/:messageId/reactions/:emoji', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Take your reaction back', params: ReactionParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await messages.unreact(actorOf(request), request.params.id, request.params.messageId, request.params.emoji);
    return {};
  });

  app.get<{ Params: IdParamsT }>('/v1/conversations/:id/pins', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Pinned messages, most recently pinned first', params: IdParams, response: { 200: PinsResponse, ...errorResponses } },
  }, async (request) => ({ messages: await messages.pins(actorOf(request), request.params.id) }));

  app.put<{ Params: MessageParamsT }>('/v1/conversations/:id/messages/:messageId/pin', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Pin a message (pin_messages)', params: MessageParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await messages.pin(actorOf(request), request.params.id, request.params.messageId);
    return {};
  });

  app.delete<{ Params: MessageParamsT }>('/v1/conversations/:id/messages/:messageId/pin', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Unpin a message (pin_messages)', params: MessageParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await messages.unpin(actorOf(request), request.params.id, request.params.messageId);
    return {};
  });
}
