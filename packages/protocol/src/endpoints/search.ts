import type { EndpointSpec } from '../endpoint.ts';
import { IdParams } from '../http.ts';
import { DirectoryQuery, RetentionBody, RetentionResponse, HideMessagesBody, HideMessagesResponse, PrefsResponse, SearchConversationsResponse, SearchMessagesQuery, SearchMessagesResponse, SearchUsersResponse, UpdatePrefsBody } from '../search.ts';
import Type from 'typebox';

export const searchEndpoints = {
  searchMessages: {
    method: 'GET',
    path: '/v1/search/messages',
    access: 'user',
    tag: 'search',
    summary: 'Full-text search over the messages you may read (conversations you are in, not deleted, not deleted for you), best match first, with highlighted snippets',
    query: SearchMessagesQuery,
    response: SearchMessagesResponse,
    errors: ['unavailable'],
    rateLimit: 'search',
  },
  searchUsers: {
    method: 'GET',
    path: '/v1/search/users',
    access: 'user',
    tag: 'search',
    summary: 'People by handle or name (the start of a word; a typo is forgiven in longer queries), as their privacy settings and blocks allow',
    query: DirectoryQuery,
    response: SearchUsersResponse,
    errors: [],
    rateLimit: 'search',
  },
  searchConversations: {
    method: 'GET',
    path: '/v1/search/conversations',
    access: 'user',
    tag: 'search',
    summary: 'Public groups and channels, and your own groups and channels, by title or handle',
    query: DirectoryQuery,
    response: SearchConversationsResponse,
    errors: [],
    rateLimit: 'search',
  },
} as const satisfies Record<string, EndpointSpec>;

export const retentionEndpoints = {
  getRetention: {
    method: 'GET',
    path: '/v1/conversations/:id/retention',
    access: 'user',
    tag: 'retention',
    summary: 'How long messages are kept here: the conversation\'s own retention and what applies',
    params: IdParams,
    response: RetentionResponse,
    errors: ['not_found'],
  },
  setRetention: {
    method: 'PUT',
    path: '/v1/conversations/:id/retention',
    access: 'user',
    tag: 'retention',
    summary: 'Delete messages older than N days, for everyone, here (admins with edit_info; a `conversation.updated` event); null falls back to the server default',
    params: IdParams,
    body: RetentionBody,
    response: RetentionResponse,
    errors: ['not_found', 'forbidden'],
  },
} as const satisfies Record<string, EndpointSpec>;

export const inboxEndpoints = {
  updateConversationPrefs: {
    method: 'PATCH',
    path: '/v1/me/conversations/:id',
    access: 'user',
    tag: 'inbox',
    summary: 'Archive, pin or mark unread one of your conversations, for all your devices (a `conversation.prefs` event in your log)',
    params: IdParams,
    body: UpdatePrefsBody,
    response: PrefsResponse,
    errors: ['not_found', 'limit_exceeded'],
  },
  clearConversationHistory: {
    method: 'POST',
    path: '/v1/me/conversations/:id/clear-history',
    access: 'user',
    tag: 'inbox',
    summary: 'Delete the history so far for yourself only: on all your devices, not for the other members',
    params: IdParams,
    body: Type.Object({}, { additionalProperties: false }),
    response: PrefsResponse,
    errors: ['not_found'],
  },
  hideMessages: {
    method: 'POST',
    path: '/v1/me/conversations/:id/hidden-messages',
    access: 'user',
    tag: 'inbox',
    summary: 'Delete messages for yourself only: on all your devices (a `messages.hidden` event in your log), not for the other members',
    params: IdParams,
    body: HideMessagesBody,
    response: HideMessagesResponse,
    errors: ['not_found'],
  },
} as const satisfies Record<string, EndpointSpec>;
