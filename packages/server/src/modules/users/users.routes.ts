import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { UsersService } from './users.service.ts';

export function userRoutes(deps: { users: UsersService }): Route[] {
  const { users } = deps;
  return [
    route(Endpoints.getMe, async ({ actor }) => ({ user: await users.getUser(actor.userId), sessionId: actor.sessionId })),
    route(Endpoints.updateMe, async ({ actor, body }) => ({ user: await users.updateProfile(actor.userId, body) })),
    route(Endpoints.getUserByHandle, async ({ query }) => ({ user: await users.getUserByHandle(query.handle) })),
    route(Endpoints.getUser, async ({ params }) => ({ user: await users.getUser(params.id) })),
  ];
}
