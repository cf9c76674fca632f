import {
  AddMembersBody, type AddMembersBody as AddMembersBodyT,
  ConversationListQuery, type ConversationListQuery as ConversationListQueryT,
  ConversationListResponse, ConversationResponse,
  CreateConversationBody, type CreateConversationBody as CreateConversationBodyT,
  IdParams, type IdParams as IdParamsT,
  MemberParams, type MemberParams as MemberParamsT,
  MembersQuery, type MembersQuery as MembersQueryT, MembersResponse,
  ReadBody, type ReadBody as ReadBodyT, ReadResponse, SeqResponse,
  UpdateConversationBody, type UpdateConversationBody as UpdateConversationBodyT,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { ConversationsService } from './conversations.service.ts';

export function registerConversationRoutes(app: FastifyInstance, deps: { conversations: ConversationsService; requireUser: PreHandler }): void {
  const { conversations, requireUser } = deps;
  const common = { tags: ['conversations'], security: userSecurity };

  app.post<{ Body: CreateConversationBodyT }>('/v1/conversations', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Start a direct conversation (one per pair: returns the existing one) or create a group', body: CreateConversationBody, response: { 200: ConversationResponse, ...errorResponses } },
  }, async (request) => {
    const actor = actorOf(request);
    const body = request.body;
    const conversation = body.kind === 'direct'
      ? await conversations.createDirect(actor, body.userId)
      : await conversations.createGroup(actor, body.title, body.memberIds);
    return { conversation };
  });

  app.get<{ Querystring: ConversationListQueryT }>('/v1/conversations', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Your conversations, most recently active first, with lastSeq, readSeq and unreadCount', querystring: ConversationListQuery, response: { 200: ConversationListResponse, ...errorResponses } },
  }, (request) => conversations.list(actorOf(request), request.query.cursor, request.query.limit ?? 50));

  app.get<{ Params: IdParamsT }>('/v1/conversations/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'One of your conversations', params: IdParams, response: { 200: ConversationResponse, ...errorResponses } },
  }, async (request) => ({ conversation: await conversations.get(actorOf(request), request.params.id) }));

  app.patch<{ Params: IdParamsT; Body: UpdateConversationBodyT }>('/v1/conversations/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Change a group\'s title (owner)', params: IdParams, body: UpdateConversationBody, response: { 200: ConversationResponse, ...errorResponses } },
  }, async (request) => ({ conversation: await conversations.update(actorOf(request), request.params.id, request.body) }));

  app.get<{ Params: IdParamsT; Querystring: MembersQueryT }>('/v1/conversations/:id/members', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Members, in user id order', params: IdParams, querystring: MembersQuery, response: { 200: MembersResponse, ...errorResponses } },
  }, (request) => conversations.listMembers(actorOf(request), request.params.id, request.query.cursor, request.query.limit ?? 100));

  app.post<{ Params: IdParamsT; Body: AddMembersBodyT }>('/v1/conversations/:id/members', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Add members to a group (owner); members already in are skipped', params: IdParams, body: AddMembersBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => conversations.addMembers(actorOf(request), request.params.id, request.body.userIds));

  app.delete<{ Params: MemberParamsT }>('/v1/conversations/:id/members/:userId', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Remove a member (owner), or leave when userId is yours', params: MemberParams, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => conversations.removeMember(actorOf(request), request.params.id, request.params.userId));

  app.post<{ Params: IdParamsT }>('/v1/conversations/:id/leave', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Leave a group; an owner\'s seat passes to the longest-standing member', params: IdParams, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => {
    const actor = actorOf(request);
    return conversations.removeMember(actor, request.params.id, actor.userId);
  });

  app.post<{ Params: IdParamsT; Body: ReadBodyT }>('/v1/conversations/:id/read', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Mark read up to a seq (the pointer only moves forward)', params: IdParams, body: ReadBody, response: { 200: ReadResponse, ...errorResponses } },
  }, (request) => conversations.markRead(actorOf(request), request.params.id, request.body.seq));
}
