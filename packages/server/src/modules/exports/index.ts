export { createExportsService, type ExportsService } from './exports.service.ts';
export { exportsRoutes } from './exports.routes.ts';
