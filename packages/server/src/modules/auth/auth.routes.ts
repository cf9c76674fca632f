import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { AuthService } from './auth.service.ts';

export function authRoutes(deps: { auth: AuthService }): Route[] {
  const { auth } = deps;
  return [
    route(Endpoints.register, ({ body }) => auth.register(body)),
    route(Endpoints.login, ({ body }) => auth.login(body)),
    route(Endpoints.refresh, ({ body }) => auth.refresh(body.refreshToken)),
    route(Endpoints.logout, async ({ actor }) => {
      await auth.logout(actor);
      return {};
    }),
    route(Endpoints.changePassword, async ({ actor, body }) => ({ signedOut: await auth.changePassword(actor, body) })),
  ];
}
