import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { AuthService } from '../auth/index.ts';
import type { UsersService } from '../users/index.ts';
import type { AdminService } from './admin.service.ts';

/** Server-to-server API for the product's own backend: its user service stays the source of truth. */
export function adminRoutes(deps: { users: UsersService; auth: AuthService; admin: AdminService }): Route[] {
  const { users, auth, admin } = deps;
  return [
    route(Endpoints.adminCreateUser, async ({ body }) => ({ user: await users.adminCreate(body) })),
    route(Endpoints.adminListUsers, ({ query }) => users.adminList(query.cursor, query.limit ?? 100)),
    route(Endpoints.adminBulkUsers, async ({ body }) => ({ results: await users.adminBulk(body, admin.deleteUser) })),
    route(Endpoints.adminGetUser, async ({ params }) => ({ user: await users.adminGet(params.id) })),
    route(Endpoints.adminUpdateUser, async ({ params, body }) => ({ user: await users.adminUpdate(params.id, body) })),
    route(Endpoints.adminSuspendUser, async ({ params }) => ({ user: await users.suspend(params.id) })),
    route(Endpoints.adminUnsuspendUser, async ({ params }) => ({ user: await users.unsuspend(params.id) })),
    route(Endpoints.adminDeleteUser, async ({ params }) => {
      await admin.deleteUser(params.id);
      return {};
    }),
    route(Endpoints.adminIssueTokens, ({ params, body }) => auth.issueForUser(params.id, body?.deviceName)),
  ];
}
