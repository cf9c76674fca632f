export { type Action, type AddCandidate, authorize, authorizePlatformAdd, CANNOT_ADD, checkSlowMode, memberListScope, type PolicyFacts } from './policy.ts';
export { type Access, access, type AccessOptions, type LockedAccess, type MemberAction } from './access.ts';
export { membershipFactsQuery, membershipFactsStatement, type MembershipFactsRow } from './access.repository.ts';
export { ALL_RIGHTS, effectiveRights, joinRole, MEMBER_DEFAULTS, MEMBER_GRANTABLE, memberRights, parseRights, RANK, ROLES_OF_KIND, SENDING_RIGHTS, sortRights, STAFF_DEFAULTS } from './rights.ts';
export { createPolicyHook, type HookRequest, noPolicyHook, type PolicyHook } from './policy-hook.ts';
