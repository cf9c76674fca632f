export { createInvitesService, type InvitesService } from './invites.service.ts';
export { registerInviteRoutes } from './invites.routes.ts';
