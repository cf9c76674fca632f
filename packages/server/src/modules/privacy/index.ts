export { addCandidates, blockedEitherWay, createPrivacyService, type PrivacyService } from './privacy.service.ts';
export { privacyRoutes } from './privacy.routes.ts';
