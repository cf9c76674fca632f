export { createModerationService, type ModerationService } from './moderation.service.ts';
export { moderationRoutes } from './moderation.routes.ts';
