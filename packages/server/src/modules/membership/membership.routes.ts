import {
  AddMembersBody, type AddMembersBody as AddMembersBodyT, BanBody, type BanBody as BanBodyT, BansResponse,
  ChangeRoleBody, type ChangeRoleBody as ChangeRoleBodyT, IdParams, type IdParams as IdParamsT, JoinResponse,
  MemberParams, type MemberParams as MemberParamsT, MembersQuery, type MembersQuery as MembersQueryT, MembersResponse,
  MuteBody, type MuteBody as MuteBodyT, ReasonQuery, type ReasonQuery as ReasonQueryT, SeqResponse, TransferBody, type TransferBody as TransferBodyT,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { MembershipService } from './membership.service.ts';

export function registerMembershipRoutes(app: FastifyInstance, deps: { membership: MembershipService; requireUser: PreHandler }): void {
  const { membership, requireUser } = deps;
  const common = { tags: ['members'], security: userSecurity };

  app.get<{ Params: IdParamsT; Querystring: MembersQueryT }>('/v1/conversations/:id/members', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Members with roles and rights, in user id order', params: IdParams, querystring: MembersQuery, response: { 200: MembersResponse, ...errorResponses } },
  }, (request) => membership.listMembers(actorOf(request), request.params.id, request.query.cursor, request.query.limit ?? 100));

  app.post<{ Params: IdParamsT; Body: AddMembersBodyT }>('/v1/conversations/:id/members', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Add members (add_members); respects their privacy settings and blocks; members already in are skipped', params: IdParams, body: AddMembersBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.addMembers(actorOf(request), request.params.id, request.body.userIds));

  app.delete<{ Params: MemberParamsT; Querystring: ReasonQueryT }>('/v1/conversations/:id/members/:userId', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Remove a member below your role (remove_members), or leave when userId is yours', params: MemberParams, querystring: ReasonQuery, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.removeMember(actorOf(request), request.params.id, request.params.userId, request.query.reason));

  app.patch<{ Params: MemberParamsT; Body: ChangeRoleBodyT }>('/v1/conversations/:id/members/:userId', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Change a member\'s role or custom rights (manage_roles; only below your role, only rights you hold)', params: MemberParams, body: ChangeRoleBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.setRole(actorOf(request), request.params.id, request.params.userId, request.body));

  app.post<{ Params: MemberParamsT; Body: MuteBodyT }>('/v1/conversations/:id/members/:userId/mute', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Mute a member below your role for a time or forever (mute_members)', params: MemberParams, body: MuteBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.mute(actorOf(request), request.params.id, request.params.userId, request.body));

  app.delete<{ Params: MemberParamsT }>('/v1/conversations/:id/members/:userId/mute', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Lift a mute (mute_members)', params: MemberParams, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.unmute(actorOf(request), request.params.id, request.params.userId));

  app.get<{ Params: IdParamsT }>('/v1/conversations/:id/bans', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Active bans (ban_members)', params: IdParams, response: { 200: BansResponse, ...errorResponses } },
  }, async (request) => ({ bans: await membership.bans(actorOf(request), request.params.id) }));

  app.post<{ Params: IdParamsT; Body: BanBodyT }>('/v1/conversations/:id/bans', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Ban a user for a time or forever (ban_members): removed if a member, and no way back by link, handle or being added', params: IdParams, body: BanBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.ban(actorOf(request), request.params.id, request.body));

  app.delete<{ Params: MemberParamsT }>('/v1/conversations/:id/bans/:userId', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Lift a ban (ban_members)', params: MemberParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await membership.unban(actorOf(request), request.params.id, request.params.userId);
    return {};
  });

  app.post<{ Params: IdParamsT; Body: TransferBodyT }>('/v1/conversations/:id/transfer', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Transfer ownership (owner); you become an admin', params: IdParams, body: TransferBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.transfer(actorOf(request), request.params.id, request.body.userId));

  app.post<{ Params: IdParamsT }>('/v1/conversations/:id/leave', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Leave a group or channel; an owner\'s seat passes to the longest-standing member', params: IdParams, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => {
    const actor = actorOf(request);
    return membership.removeMember(actor, request.params.id, actor.userId);
  });

  app.post<{ Params: IdParamsT }>('/v1/conversations/:id/join', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Join a public group or channel (found by handle); `pending` when an admin must approve', params: IdParams, response: { 200: JoinResponse, ...errorResponses } },
  }, (request) => membership.join(actorOf(request), request.params.id));
}
