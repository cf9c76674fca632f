export {
  checkMemberRights, type ConversationLimits, createConversationsService, type ConversationsService, lockFacts, memberLimit, requireExistingUsers,
} from './conversations.service.ts';
export * from './conversations.repository.ts';
export { activeMute, memberRights, toMember, toPolicyFacts, toPreview } from './conversations.mapper.ts';
export { admit, part } from './membership.ops.ts';
export { conversationRoutes } from './conversations.routes.ts';
