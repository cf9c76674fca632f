export { admitJoiner, createMembershipService, FOREVER, joinConversation, joinFacts, type JoinGate, type MembershipService } from './membership.service.ts';
export { activeBans, deleteJoinRequest, hasJoinRequest, listJoinRequests, upsertJoinRequest } from './membership.repository.ts';
export { membershipRoutes } from './membership.routes.ts';
export { createJoinRequestNotices, type JoinRequestNotices, noJoinRequestNotices } from './join-request-notices.ts';
