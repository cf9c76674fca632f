export { createConversationsService, type ConversationsService } from './conversations.service.ts';
export { findMembershipFacts, membershipSnapshot } from './conversations.repository.ts';
export { membershipFacts } from './conversations.mapper.ts';
export { registerConversationRoutes } from './conversations.routes.ts';
