export { createSyncService, type SyncService } from './sync.service.ts';
export { registerSyncRoutes } from './sync.routes.ts';
