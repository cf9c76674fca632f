import { IdParams, type IdParams as IdParamsT, MeResponse, UpdateMeBody, type UpdateMeBody as UpdateMeBodyT, UserLookupQuery, type UserLookupQuery as UserLookupQueryT, UserResponse } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { UsersService } from './users.service.ts';

export function registerUserRoutes(app: FastifyInstance, deps: { users: UsersService; requireUser: PreHandler }): void {
  const { users, requireUser } = deps;
  const common = { tags: ['users'], security: userSecurity };

  app.get('/v1/me', {
    onRequest: requireUser,
    schema: { ...common, summary: 'The signed-in user', response: { 200: MeResponse, ...errorResponses } },
  }, async (request) => {
    const actor = actorOf(request);
    return { user: await users.getUser(actor.userId), sessionId: actor.sessionId };
  });

  app.patch<{ Body: UpdateMeBodyT }>('/v1/me', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Change your profile; your other devices hear of it through your log', body: UpdateMeBody, response: { 200: UserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.updateProfile(actorOf(request).userId, request.body) }));

  app.get<{ Querystring: UserLookupQueryT }>('/v1/users', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Find a user by exact handle', querystring: UserLookupQuery, response: { 200: UserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.getUserByHandle(request.query.handle) }));

  app.get<{ Params: IdParamsT }>('/v1/users/:id', {
    onRequest: requireUser,
    schema: { ...common, summary: 'A user\'s public profile', params: IdParams, response: { 200: UserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.getUser(request.params.id) }));
}
