export { createPresenceService, type PresenceService } from './presence.service.ts';
export { presenceRoutes } from './presence.routes.ts';
