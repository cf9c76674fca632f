import { AuthResponse, LoginBody, RefreshBody, type LoginBody as LoginBodyT, type RefreshBody as RefreshBodyT, RegisterBody, type RegisterBody as RegisterBodyT } from '@parley/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { actorOf, bearerToken, errorResponses, userSecurity } from '../../http/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { AuthService } from './auth.service.ts';

export type PreHandler = (request: FastifyRequest) => Promise<void>;

/**
 * Authenticates the bearer token of a user route. Best used as the route's `onRequest`
 * hook: the caller is known before the body is read or validated, so an anonymous caller
 * gets 401 without the server parsing its body or describing the schema to it.
 */
export function createRequireUser(auth: AuthService): PreHandler {
  return async (request) => {
    const token = bearerToken(request);
    if (!token) throw new AppError('unauthorized', 'Missing bearer token.');
    request.actor = await auth.authenticate(token);
  };
}

/** Admin routes take the ADMIN_API_KEY as a bearer token. */
export function createRequireAdmin(isAdminKey: (presented: string | undefined) => boolean): PreHandler {
  return async (request) => {
    if (!isAdminKey(bearerToken(request))) throw new AppError('unauthorized', 'A valid admin API key is required.');
  };
}

export function registerAuthRoutes(app: FastifyInstance, deps: { auth: AuthService; requireUser: PreHandler }): void {
  const { auth, requireUser } = deps;
  const tags = ['auth'];

  app.post<{ Body: RegisterBodyT }>('/v1/auth/register', {
    schema: { tags, summary: 'Create a built-in account and sign in', body: RegisterBody, response: { 200: AuthResponse, ...errorResponses } },
  }, (request) => auth.register(request.body));

  app.post<{ Body: LoginBodyT }>('/v1/auth/login', {
    schema: { tags, summary: 'Sign in with handle and password (starts a device session)', body: LoginBody, response: { 200: AuthResponse, ...errorResponses } },
  }, (request) => auth.login(request.body));

  app.post<{ Body: RefreshBodyT }>('/v1/auth/refresh', {
    schema: { tags, summary: 'Exchange a refresh token for a new token pair (the refresh token rotates)', body: RefreshBody, response: { 200: AuthResponse, ...errorResponses } },
  }, (request) => auth.refresh(request.body.refreshToken));

  app.post('/v1/auth/logout', {
    onRequest: requireUser,
    schema: { tags, summary: 'End this device session: its refresh token stops working', security: userSecurity, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await auth.logout(actorOf(request));
    return {};
  });
}
