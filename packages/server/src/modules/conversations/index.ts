export {
  checkMemberRights, type ConversationLimits, createConversationsService, type ConversationsService, memberLimit, requireExistingUsers,
} from './conversations.service.ts';
export * from './conversations.repository.ts';
export { activeMute, toMember, toPreview } from './conversations.mapper.ts';
export { admit, part } from './membership.ops.ts';
export { registerConversationRoutes } from './conversations.routes.ts';
