export type { Actor } from '../../platform/actor.ts';
export { createAccessTokens, type AccessTokens } from './access-tokens.ts';
export { createExternalVerifier, type ExternalVerifier } from './external-tokens.ts';
export { createAdminKeyCheck } from './admin-key.ts';
export { createAuthService, type AuthService } from './auth.service.ts';
export { loadSigningKey } from './signing-key.ts';
export { authRoutes } from './auth.routes.ts';
