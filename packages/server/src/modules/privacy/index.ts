export { addCandidates, blockedEitherWay, createPrivacyService, type PrivacyService } from './privacy.service.ts';
export { registerPrivacyRoutes } from './privacy.routes.ts';
