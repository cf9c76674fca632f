export { createMembershipService, FOREVER, type MembershipService } from './membership.service.ts';
export { activeBans, deleteJoinRequest, listJoinRequests, upsertJoinRequest } from './membership.repository.ts';
export { registerMembershipRoutes } from './membership.routes.ts';
