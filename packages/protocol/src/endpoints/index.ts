import { defineEndpoints } from '../endpoint.ts';
import { adminEndpoints } from './admin.ts';
import { authEndpoints } from './auth.ts';
import { callsEndpoints } from './calls.ts';
import { conversationsEndpoints } from './conversations.ts';
import { devicesEndpoints } from './devices.ts';
import { exportsEndpoints } from './exports.ts';
import { invitesEndpoints } from './invites.ts';
import { mediaEndpoints } from './media.ts';
import { membershipEndpoints } from './membership.ts';
import { messagesEndpoints } from './messages.ts';
import { moderationEndpoints } from './moderation.ts';
import { operationsEndpoints } from './operations.ts';
import { presenceEndpoints } from './presence.ts';
import { pushEndpoints } from './push.ts';
import { privacyEndpoints } from './privacy.ts';
import { receiptsEndpoints } from './receipts.ts';
import { inboxEndpoints, retentionEndpoints, searchEndpoints } from './search.ts';
import { syncEndpoints } from './sync.ts';
import { usersEndpoints } from './users.ts';

/**
 * Every HTTP operation of the API, by its operationId. One file per area of the API; a
 * feature adds its operations to its area's file (or a new one listed here), then the
 * server gives each a handler and the SDK calls it through `HttpApi.call`.
 */
export const Endpoints = defineEndpoints({
  ...operationsEndpoints,
  ...authEndpoints,
  ...usersEndpoints,
  ...conversationsEndpoints,
  ...membershipEndpoints,
  ...invitesEndpoints,
  ...privacyEndpoints,
  ...moderationEndpoints,
  ...messagesEndpoints,
  ...mediaEndpoints,
  ...syncEndpoints,
  ...receiptsEndpoints,
  ...searchEndpoints,
  ...inboxEndpoints,
  ...retentionEndpoints,
  ...exportsEndpoints,
  ...presenceEndpoints,
  ...devicesEndpoints,
  ...callsEndpoints,
  ...pushEndpoints,
  ...adminEndpoints,
});

export type Endpoints = typeof Endpoints;
export type OperationId = keyof Endpoints;
