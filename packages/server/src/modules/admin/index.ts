export { createAdminService, type AdminService } from './admin.service.ts';
export { adminRoutes } from './admin.routes.ts';
export { adminConversationRoutes } from './admin-conversations.routes.ts';
