export { createAdminService, type AdminService } from './admin.service.ts';
export { registerAdminRoutes } from './admin.routes.ts';
export { registerAdminConversationRoutes } from './admin-conversations.routes.ts';
