import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { ConversationsService } from '../conversations/index.ts';
import type { MembershipService } from '../membership/index.ts';
import type { MessagesService } from '../messages/index.ts';
import type { ModerationService } from '../moderation/index.ts';
import type { UsersService } from '../users/index.ts';

/** The platform's side of conversations and moderation: inspect, delete, change membership and roles, the queue, the audit log. */
export function adminConversationRoutes(deps: { conversations: ConversationsService; membership: MembershipService; messages: MessagesService; moderation: ModerationService; users: UsersService }): Route[] {
  const { conversations, membership, messages, moderation, users } = deps;
  return [
    route(Endpoints.adminListConversations, ({ query }) => conversations.adminList(query.kind, query.cursor, query.limit ?? 100)),
    route(Endpoints.adminGetConversation, async ({ params }) => ({ conversation: await conversations.adminGet(params.id) })),
    route(Endpoints.adminDeleteConversation, async ({ params, query }) => {
      await conversations.adminDelete(params.id, query.reason);
      return {};
    }),
    route(Endpoints.adminListMembers, ({ params, query }) => membership.adminMembers(params.id, query.cursor, query.limit ?? 100)),
    route(Endpoints.adminAddMembers, ({ params, body }) => membership.adminAdd(params.id, body.userIds, body.role)),
    route(Endpoints.adminRemoveMember, ({ params, query }) => membership.adminRemove(params.id, params.userId, query.reason)),
    route(Endpoints.adminSetRole, ({ params, body }) => membership.adminSetRole(params.id, params.userId, body.role, body.rights)),
    route(Endpoints.adminListReports, async ({ query }) => {
      const result = await moderation.adminReports(query.status, query.cursor, query.limit ?? 50);
      return { reports: result.items, nextCursor: result.nextCursor };
    }),
    route(Endpoints.adminResolveReport, async ({ params, body }) => ({ report: await moderation.adminResolve(params.reportId, body) })),
    route(Endpoints.adminListAudit, async ({ query }) => {
      const { conversationId, actorId, cursor, limit } = query;
      const result = await moderation.adminAudit({ ...(conversationId ? { conversationId } : {}), ...(actorId ? { actorId } : {}) }, cursor, limit ?? 50);
      return { entries: result.items, nextCursor: result.nextCursor };
    }),
    route(Endpoints.adminLogoutUser, async ({ params }) => {
      await users.logoutEverywhere(params.id);
      return {};
    }),
    route(Endpoints.adminRemoveUserMessages, async ({ params, body }) => ({ removed: await messages.adminRemoveUserMessages(params.id, body.conversationId, body.reason) })),
  ];
}
