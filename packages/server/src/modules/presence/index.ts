export { createPresenceService, type PresenceService } from './presence.service.ts';
export { registerPresenceRoutes } from './presence.routes.ts';
