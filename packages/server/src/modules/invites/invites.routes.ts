import {
  CreateInviteBody, type CreateInviteBody as CreateInviteBodyT, Id, IdParams, type IdParams as IdParamsT, InvitePreviewResponse, InviteResponse, InvitesResponse,
  JoinRequestsResponse, JoinResponse, MemberParams, type MemberParams as MemberParamsT,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { InvitesService } from './invites.service.ts';

const CodeParams = Type.Object({ code: Id });
const ConversationCodeParams = Type.Object({ id: Id, code: Id });

export function registerInviteRoutes(app: FastifyInstance, deps: { invites: InvitesService; requireUser: PreHandler }): void {
  const { invites, requireUser } = deps;
  const common = { tags: ['invites'], security: userSecurity };
  const ok = { 200: Type.Object({}), ...errorResponses };

  app.post<{ Params: IdParamsT; Body: CreateInviteBodyT }>('/v1/conversations/:id/invites', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Create an invite link (manage_invites): optional expiry, maximum uses, approval', params: IdParams, body: CreateInviteBody, response: { 200: InviteResponse, ...errorResponses } },
  }, async (request) => ({ invite: await invites.create(actorOf(request), request.params.id, request.body) }));

  app.get<{ Params: IdParamsT }>('/v1/conversations/:id/invites', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Invite links of a conversation (manage_invites)', params: IdParams, response: { 200: InvitesResponse, ...errorResponses } },
  }, async (request) => ({ invites: await invites.list(actorOf(request), request.params.id) }));

  app.delete<{ Params: { id: string; code: string } }>('/v1/conversations/:id/invites/:code', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Revoke an invite link (manage_invites)', params: ConversationCodeParams, response: ok },
  }, async (request) => {
    await invites.revoke(actorOf(request), request.params.id, request.params.code);
    return {};
  });

  app.get<{ Params: { code: string } }>('/v1/invites/:code', {
    onRequest: requireUser,
    schema: { ...common, summary: 'What an invite link leads to', params: CodeParams, response: { 200: InvitePreviewResponse, ...errorResponses } },
  }, (request) => invites.preview(request.params.code));

  app.post<{ Params: { code: string } }>('/v1/invites/:code/join', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Join through an invite link; `pending` when the link needs approval', params: CodeParams, response: { 200: JoinResponse, ...errorResponses } },
  }, (request) => invites.join(actorOf(request), request.params.code));

  app.get<{ Params: IdParamsT }>('/v1/conversations/:id/join-requests', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Pending requests to join (manage_invites)', params: IdParams, response: { 200: JoinRequestsResponse, ...errorResponses } },
  }, async (request) => ({ requests: await invites.requests(actorOf(request), request.params.id) }));

  app.post<{ Params: MemberParamsT }>('/v1/conversations/:id/join-requests/:userId/approve', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Approve a request to join (manage_invites)', params: MemberParams, response: ok },
  }, async (request) => {
    await invites.approve(actorOf(request), request.params.id, request.params.userId);
    return {};
  });

  app.post<{ Params: MemberParamsT }>('/v1/conversations/:id/join-requests/:userId/decline', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Decline a request to join (manage_invites); the requester hears of it', params: MemberParams, response: ok },
  }, async (request) => {
    await invites.decline(actorOf(request), request.params.id, request.params.userId);
    return {};
  });
}
