export { addCandidates, blockedEitherWay, createPrivacyService, type PrivacyService } from './privacy.service.ts';
export { privacyRoutes } from './privacy.routes.ts';
/** Who counts whom as a contact through a direct conversation they wrote in (presence privacy reads it too). */
export { contactsOf, writtenToBy } from './privacy.repository.ts';
