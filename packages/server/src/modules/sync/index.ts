export { createSyncService, type SyncService } from './sync.service.ts';
export { syncRoutes } from './sync.routes.ts';
