import {
  AdminBulkUsersBody, type AdminBulkUsersBody as AdminBulkUsersBodyT, AdminBulkUsersResponse,
  AdminCreateUserBody, type AdminCreateUserBody as AdminCreateUserBodyT,
  AdminIssueTokenBody, type AdminIssueTokenBody as AdminIssueTokenBodyT,
  AdminUpdateUserBody, type AdminUpdateUserBody as AdminUpdateUserBodyT,
  AdminUserListQuery, type AdminUserListQuery as AdminUserListQueryT, AdminUserListResponse, AdminUserResponse, AuthResponse,
  IdParams, type IdParams as IdParamsT, Limits,
} from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { adminSecurity, errorResponses } from '../../http/index.ts';
import type { AuthService, PreHandler } from '../auth/index.ts';
import type { UsersService } from '../users/index.ts';
import type { AdminService } from './admin.service.ts';

/** Server-to-server API for the product's own backend: its user service stays the source of truth. */
export function registerAdminRoutes(app: FastifyInstance, deps: { users: UsersService; auth: AuthService; admin: AdminService; requireAdmin: PreHandler }): void {
  const { users, auth, admin, requireAdmin } = deps;
  const common = { tags: ['admin'], security: adminSecurity };
  // The key is checked as soon as the request arrives, before its body (up to 4 MiB for
  // bulk) is read or validated: callers without it learn nothing, not even the schema.
  const onRequest = requireAdmin;

  app.post<{ Body: AdminCreateUserBodyT }>('/v1/admin/users', {
    onRequest,
    schema: { ...common, summary: 'Create a user (with the product\'s own id, if given)', body: AdminCreateUserBody, response: { 200: AdminUserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.adminCreate(request.body) }));

  app.get<{ Querystring: AdminUserListQueryT }>('/v1/admin/users', {
    onRequest,
    schema: { ...common, summary: 'All users, in id order', querystring: AdminUserListQuery, response: { 200: AdminUserListResponse, ...errorResponses } },
  }, (request) => users.adminList(request.query.cursor, request.query.limit ?? 100));

  app.post<{ Body: AdminBulkUsersBodyT }>('/v1/admin/users/bulk', {
    onRequest,
    bodyLimit: 4 * 1024 * 1024,
    schema: { ...common, summary: `Upsert, suspend, unsuspend and delete up to ${Limits.adminBulkMax} users per list; each item succeeds or fails alone`, body: AdminBulkUsersBody, response: { 200: AdminBulkUsersResponse, ...errorResponses } },
  }, async (request) => ({ results: await users.adminBulk(request.body, admin.deleteUser) }));

  app.get<{ Params: IdParamsT }>('/v1/admin/users/:id', {
    onRequest,
    schema: { ...common, summary: 'One user', params: IdParams, response: { 200: AdminUserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.adminGet(request.params.id) }));

  app.patch<{ Params: IdParamsT; Body: AdminUpdateUserBodyT }>('/v1/admin/users/:id', {
    onRequest,
    schema: { ...common, summary: 'Update handle, display name or password', params: IdParams, body: AdminUpdateUserBody, response: { 200: AdminUserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.adminUpdate(request.params.id, request.body) }));

  app.post<{ Params: IdParamsT }>('/v1/admin/users/:id/suspend', {
    onRequest,
    schema: { ...common, summary: 'Suspend: live sessions close with a do-not-reconnect code, tokens are refused', params: IdParams, response: { 200: AdminUserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.suspend(request.params.id) }));

  app.post<{ Params: IdParamsT }>('/v1/admin/users/:id/unsuspend', {
    onRequest,
    schema: { ...common, summary: 'Lift a suspension', params: IdParams, response: { 200: AdminUserResponse, ...errorResponses } },
  }, async (request) => ({ user: await users.unsuspend(request.params.id) }));

  app.delete<{ Params: IdParamsT }>('/v1/admin/users/:id', {
    onRequest,
    schema: { ...common, summary: 'Delete: personal data scrubbed, sessions revoked, removed from every group', params: IdParams, response: { 200: Type.Object({}), ...errorResponses } },
  }, async (request) => {
    await admin.deleteUser(request.params.id);
    return {};
  });

  app.post<{ Params: IdParamsT; Body: AdminIssueTokenBodyT }>('/v1/admin/users/:id/tokens', {
    onRequest,
    schema: { ...common, summary: 'Start a device session for a user and return its tokens (for the product\'s backend)', params: IdParams, body: AdminIssueTokenBody, response: { 200: AuthResponse, ...errorResponses } },
  }, (request) => auth.issueForUser(request.params.id, request.body?.deviceName));
}
