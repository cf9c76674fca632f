export { createInvitesService, type InvitesService } from './invites.service.ts';
export { inviteRoutes } from './invites.routes.ts';
