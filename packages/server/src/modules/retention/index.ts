export { createRetentionService, type RetentionService } from './retention.service.ts';
export { retentionRoutes } from './retention.routes.ts';
