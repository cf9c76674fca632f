import type { EndpointSpec } from '../endpoint.ts';
import { EventsQuery, EventsResponse, HeadsQuery, HeadsResponse, IdParams, UserEventsResponse } from '../http.ts';

export const syncEndpoints = {
  listEvents: {
    method: 'GET',
    path: '/v1/conversations/:id/events',
    access: 'user',
    tag: 'sync',
    summary: 'A page of the conversation\'s log after a seq, in order',
    params: IdParams,
    query: EventsQuery,
    response: EventsResponse,
    errors: ['not_found', 'rate_limited'],
  },
  listUserEvents: {
    method: 'GET',
    path: '/v1/me/events',
    access: 'user',
    tag: 'sync',
    summary: 'A page of your own log (membership, read pointers, profile) after a seq',
    query: EventsQuery,
    response: UserEventsResponse,
    errors: ['rate_limited'],
  },
  getHeads: {
    method: 'GET',
    path: '/v1/me/heads',
    access: 'user',
    tag: 'sync',
    summary: 'Where your log and each of your conversations\' logs end, a page of conversations at a time',
    query: HeadsQuery,
    response: HeadsResponse,
    errors: [],
  },
} as const satisfies Record<string, EndpointSpec>;
