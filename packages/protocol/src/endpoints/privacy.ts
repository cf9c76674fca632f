import type { EndpointSpec } from '../endpoint.ts';
import { BlocksResponse, EmptyResponse, IdParams, SettingsResponse, UpdateSettingsBody } from '../http.ts';

export const privacyEndpoints = {
  listBlocks: {
    method: 'GET',
    path: '/v1/me/blocks',
    access: 'user',
    tag: 'privacy',
    summary: 'Users you have blocked',
    response: BlocksResponse,
    errors: [],
  },
  blockUser: {
    method: 'PUT',
    path: '/v1/me/blocks/:id',
    access: 'user',
    tag: 'privacy',
    summary: 'Block a user: neither of you can write in your direct conversation, and they cannot add you to groups',
    params: IdParams,
    response: EmptyResponse,
    errors: ['not_found'],
  },
  unblockUser: {
    method: 'DELETE',
    path: '/v1/me/blocks/:id',
    access: 'user',
    tag: 'privacy',
    summary: 'Unblock a user',
    params: IdParams,
    response: EmptyResponse,
    errors: ['not_found'],
  },
  getSettings: {
    method: 'GET',
    path: '/v1/me/settings',
    access: 'user',
    tag: 'privacy',
    summary: 'Your privacy settings',
    response: SettingsResponse,
    errors: [],
  },
  updateSettings: {
    method: 'PATCH',
    path: '/v1/me/settings',
    access: 'user',
    tag: 'privacy',
    summary: 'Change your privacy settings',
    body: UpdateSettingsBody,
    response: SettingsResponse,
    errors: [],
  },
} as const satisfies Record<string, EndpointSpec>;
