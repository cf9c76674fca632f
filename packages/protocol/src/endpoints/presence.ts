import type { EndpointSpec } from '../endpoint.ts';
import { IdParams } from '../http.ts';
import { PresenceResponse, PresenceSettings, PresenceSettingsBody } from '../realtime.ts';

export const presenceEndpoints = {
  getPresence: {
    method: 'GET',
    path: '/v1/presence/:id',
    access: 'user',
    tag: 'presence',
    summary: 'A user\'s presence as you may see it (hidden by their privacy setting or a block)',
    params: IdParams,
    response: PresenceResponse,
    errors: ['not_found'],
  },
  getPresencePrivacy: {
    method: 'GET',
    path: '/v1/me/presence-privacy',
    access: 'user',
    tag: 'presence',
    summary: 'Who may see your presence',
    response: PresenceSettings,
    errors: [],
  },
  setPresencePrivacy: {
    method: 'PUT',
    path: '/v1/me/presence-privacy',
    access: 'user',
    tag: 'presence',
    summary: 'Choose who may see your presence: everyone, people you share a direct conversation or a group with (contacts), or nobody; people you blocked never do',
    body: PresenceSettingsBody,
    response: PresenceSettings,
    errors: [],
  },
} as const satisfies Record<string, EndpointSpec>;
