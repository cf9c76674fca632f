export { createModerationService, type ModerationService } from './moderation.service.ts';
export { registerModerationRoutes } from './moderation.routes.ts';
