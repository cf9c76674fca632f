export { createSearchService, type SearchService } from './search.service.ts';
export { searchRoutes } from './search.routes.ts';
