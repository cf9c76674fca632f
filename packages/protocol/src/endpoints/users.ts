import type { EndpointSpec } from '../endpoint.ts';
import { IdParams, MeResponse, UpdateMeBody, UserLookupQuery, UserResponse } from '../http.ts';

export const usersEndpoints = {
  getMe: {
    method: 'GET',
    path: '/v1/me',
    access: 'user',
    tag: 'users',
    summary: 'The signed-in user',
    response: MeResponse,
    errors: [],
  },
  updateMe: {
    method: 'PATCH',
    path: '/v1/me',
    access: 'user',
    tag: 'users',
    summary: 'Change your profile; your other devices hear of it through your log',
    body: UpdateMeBody,
    response: UserResponse,
    errors: [],
  },
  getUserByHandle: {
    method: 'GET',
    path: '/v1/users',
    access: 'user',
    tag: 'users',
    summary: 'Find a user by exact handle',
    query: UserLookupQuery,
    response: UserResponse,
    errors: ['not_found'],
  },
  getUser: {
    method: 'GET',
    path: '/v1/users/:id',
    access: 'user',
    tag: 'users',
    summary: 'A user\'s public profile',
    params: IdParams,
    response: UserResponse,
    errors: ['not_found'],
  },
} as const satisfies Record<string, EndpointSpec>;
