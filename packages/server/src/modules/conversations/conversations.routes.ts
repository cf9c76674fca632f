import {
  ConversationListQuery, type ConversationListQuery as ConversationListQueryT,
  ConversationListResponse, ConversationResponse,
  CreateConversationBody, type CreateConversationBody as CreateConversationBodyT,
  Handle, IdParams, type IdParams as IdParamsT, PreviewResponse,
  ReadBody, type ReadBody as ReadBodyT, ReadResponse,
  UpdateConversationBody, type UpdateConversationBody as UpdateConversationBodyT,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { ConversationsService } from './conversations.service.ts';

export function registerConversationRoutes(app: FastifyInstance, deps: { conversations: ConversationsService; requireUser: PreHandler }): void {
  const { conversations, requireUser } = deps;
  const common = { tags: ['conversations'], security: userSecurity };

  app.post<{ Body: CreateConversationBodyT }>('/v1/conversations', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Start a direct conversation (one per pair: returns the existing one), or create a group or channel (public with a handle)', body: CreateConversationBody, response: { 200: ConversationResponse, ...errorResponses } },
  }, async (request) => ({ conversation: await conversations.create(actorOf(request), request.body) }));

  app.get<{ Querystring: ConversationListQueryT }>('/v1/conversations', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Your conversations, most recently active first, with lastSeq, readSeq and unreadCount', querystring: ConversationListQuery, response: { 200: ConversationListResponse, ...errorResponses } },
  }, (request) => conversations.list(actorOf(request), request.query.cursor, request.query.limit ?? 50));

  app.get<{ Params: { handle: string } }>('/v1/conversations/by-handle/:handle', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Find a public group or channel by its handle (a preview; join to read it)', params: Type.Object({ handle: Handle }), response: { 200: PreviewResponse, ...errorResponses } },
  }, async (request) => ({ conversation: await conversations.lookup(request.params.handle) }));

  app.get<{ Params: IdParamsT }>('/v1/conversations/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'One of your conversations', params: IdParams, response: { 200: ConversationResponse, ...errorResponses } },
  }, async (request) => ({ conversation: await conversations.get(actorOf(request), request.params.id) }));

  app.patch<{ Params: IdParamsT; Body: UpdateConversationBodyT }>('/v1/conversations/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Change title and description (edit_info); visibility, handle and settings (admins with edit_info)', params: IdParams, body: UpdateConversationBody, response: { 200: ConversationResponse, ...errorResponses } },
  }, async (request) => ({ conversation: await conversations.update(actorOf(request), request.params.id, request.body) }));

  app.post<{ Params: IdParamsT; Body: ReadBodyT }>('/v1/conversations/:id/read', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Mark read up to a seq (the pointer only moves forward)', params: IdParams, body: ReadBody, response: { 200: ReadResponse, ...errorResponses } },
  }, (request) => conversations.markRead(actorOf(request), request.params.id, request.body.seq));
}
