export { blockedEitherWay, CANNOT_ADD, createPrivacyService, type PrivacyService, refusingToBeAdded } from './privacy.service.ts';
export { registerPrivacyRoutes } from './privacy.routes.ts';
