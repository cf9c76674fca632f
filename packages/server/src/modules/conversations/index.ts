// What other modules may use of conversations, and nothing more: the rest can change without them.
export { type ConversationLimits, createConversationsService, type ConversationsService, memberLimit, requireExistingUsers } from './conversations.service.ts';
export { conversationRoutes } from './conversations.routes.ts';
// Every way in and out (adding, joining, invites, leaving, bans, deleted accounts) changes membership through these two.
export { admit, part } from './membership.ops.ts';
export { findConversation, findMember, findMemberQuery, findMembers, groupIdsOfUser, listMembers, totalUnread, totalUnreadOf, updateMember } from './conversations.repository.ts';
// One consistent read of a user's memberships, batched across connects: sync and the gateway share it.
export { createMembershipLoader, type MembershipSnapshot } from './conversations.repository.ts';
export { toMember, toPrefs, toPreview } from './conversations.mapper.ts';
