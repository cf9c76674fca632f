import {
  AdminAddMembersBody, type AdminAddMembersBody as AdminAddMembersBodyT, AdminAuditQuery, type AdminAuditQuery as AdminAuditQueryT,
  AdminConversationListQuery, type AdminConversationListQuery as AdminConversationListQueryT, AdminConversationListResponse, AdminConversationResponse,
  AdminRemoveMessagesBody, type AdminRemoveMessagesBody as AdminRemoveMessagesBodyT, AdminSetRoleBody, type AdminSetRoleBody as AdminSetRoleBodyT,
  AuditResponse, Id, IdParams, type IdParams as IdParamsT, MemberParams, type MemberParams as MemberParamsT, MembersQuery, type MembersQuery as MembersQueryT, MembersResponse,
  ReasonQuery, type ReasonQuery as ReasonQueryT, RemovedCountResponse, ReportResponse, ReportsQuery, type ReportsQuery as ReportsQueryT, ReportsResponse,
  ResolveReportBody, type ResolveReportBody as ResolveReportBodyT, SeqResponse,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { adminSecurity, errorResponses } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { ConversationsService } from '../conversations/index.ts';
import type { MembershipService } from '../membership/index.ts';
import type { MessagesService } from '../messages/index.ts';
import type { ModerationService } from '../moderation/index.ts';
import type { UsersService } from '../users/index.ts';

export interface AdminConversationDeps {
  conversations: ConversationsService;
  membership: MembershipService;
  messages: MessagesService;
  moderation: ModerationService;
  users: UsersService;
  requireAdmin: PreHandler;
}

/** The platform's side of conversations and moderation: inspect, delete, change membership and roles, the queue, the audit log. */
export function registerAdminConversationRoutes(app: FastifyInstance, deps: AdminConversationDeps): void {
  const { conversations, membership, messages, moderation, users, requireAdmin: onRequest } = deps;
  const common = { tags: ['admin'], security: adminSecurity };
  const ok = { 200: Type.Object({}), ...errorResponses };

  app.get<{ Querystring: AdminConversationListQueryT }>('/v1/admin/conversations', {
    onRequest,
    schema: { ...common, summary: 'All conversations, in id order', querystring: AdminConversationListQuery, response: { 200: AdminConversationListResponse, ...errorResponses } },
  }, (request) => conversations.adminList(request.query.kind, request.query.cursor, request.query.limit ?? 100));

  app.get<{ Params: IdParamsT }>('/v1/admin/conversations/:id', {
    onRequest,
    schema: { ...common, summary: 'Inspect a conversation', params: IdParams, response: { 200: AdminConversationResponse, ...errorResponses } },
  }, async (request) => ({ conversation: await conversations.adminGet(request.params.id) }));

  app.delete<{ Params: IdParamsT; Querystring: ReasonQueryT }>('/v1/admin/conversations/:id', {
    onRequest,
    schema: { ...common, summary: 'Delete a conversation with its history; members\' devices are told', params: IdParams, querystring: ReasonQuery, response: ok },
  }, async (request) => {
    await conversations.adminDelete(request.params.id, request.query.reason);
    return {};
  });

  app.get<{ Params: IdParamsT; Querystring: MembersQueryT }>('/v1/admin/conversations/:id/members', {
    onRequest,
    schema: { ...common, summary: 'Members with roles and rights', params: IdParams, querystring: MembersQuery, response: { 200: MembersResponse, ...errorResponses } },
  }, (request) => membership.adminMembers(request.params.id, request.query.cursor, request.query.limit ?? 100));

  app.post<{ Params: IdParamsT; Body: AdminAddMembersBodyT }>('/v1/admin/conversations/:id/members', {
    onRequest,
    schema: { ...common, summary: 'Add members (privacy settings and blocks do not bind the platform; bans do until lifted)', params: IdParams, body: AdminAddMembersBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.adminAdd(request.params.id, request.body.userIds, request.body.role));

  app.delete<{ Params: MemberParamsT; Querystring: ReasonQueryT }>('/v1/admin/conversations/:id/members/:userId', {
    onRequest,
    schema: { ...common, summary: 'Remove a member', params: MemberParams, querystring: ReasonQuery, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.adminRemove(request.params.id, request.params.userId, request.query.reason));

  app.put<{ Params: MemberParamsT; Body: AdminSetRoleBodyT }>('/v1/admin/conversations/:id/members/:userId/role', {
    onRequest,
    schema: { ...common, summary: 'Set a member\'s role and rights; `owner` transfers ownership', params: MemberParams, body: AdminSetRoleBody, response: { 200: SeqResponse, ...errorResponses } },
  }, (request) => membership.adminSetRole(request.params.id, request.params.userId, request.body.role, request.body.rights));

  app.get<{ Querystring: ReportsQueryT }>('/v1/admin/reports', {
    onRequest,
    schema: { ...common, summary: 'The moderation queue, newest first', querystring: ReportsQuery, response: { 200: ReportsResponse, ...errorResponses } },
  }, async (request) => {
    const result = await moderation.adminReports(request.query.status, request.query.cursor, request.query.limit ?? 50);
    return { reports: result.items, nextCursor: result.nextCursor };
  });

  app.post<{ Params: { reportId: string }; Body: ResolveReportBodyT }>('/v1/admin/reports/:reportId/resolve', {
    onRequest,
    schema: { ...common, summary: 'Resolve a report, recording the action taken', params: Type.Object({ reportId: Id }), body: ResolveReportBody, response: { 200: ReportResponse, ...errorResponses } },
  }, async (request) => ({ report: await moderation.adminResolve(request.params.reportId, request.body) }));

  app.get<{ Querystring: AdminAuditQueryT }>('/v1/admin/audit', {
    onRequest,
    schema: { ...common, summary: 'The audit log, newest first, optionally for one conversation or actor', querystring: AdminAuditQuery, response: { 200: AuditResponse, ...errorResponses } },
  }, async (request) => {
    const { conversationId, actorId, cursor, limit } = request.query;
    const result = await moderation.adminAudit({ ...(conversationId ? { conversationId } : {}), ...(actorId ? { actorId } : {}) }, cursor, limit ?? 50);
    return { entries: result.items, nextCursor: result.nextCursor };
  });

  app.post<{ Params: IdParamsT }>('/v1/admin/users/:id/logout', {
    onRequest,
    schema: { ...common, summary: 'Force logout: every session revoked, live sockets closed (do not reconnect)', params: IdParams, response: ok },
  }, async (request) => {
    await users.logoutEverywhere(request.params.id);
    return {};
  });

  app.post<{ Params: IdParamsT; Body: AdminRemoveMessagesBodyT }>('/v1/admin/users/:id/remove-messages', {
    onRequest,
    schema: { ...common, summary: 'Delete a user\'s messages, in one conversation or everywhere', params: IdParams, body: AdminRemoveMessagesBody, response: { 200: RemovedCountResponse, ...errorResponses } },
  }, async (request) => ({ removed: await messages.adminRemoveUserMessages(request.params.id, request.body.conversationId, request.body.reason) }));
}
