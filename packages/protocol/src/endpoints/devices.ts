import type { EndpointSpec } from '../endpoint.ts';
import { EmptyResponse, IdParams, SignedOutResponse } from '../http.ts';
import { DevicesResponse, PushTokenBody } from '../realtime.ts';

export const devicesEndpoints = {
  listDevices: {
    method: 'GET',
    path: '/v1/me/devices',
    access: 'user',
    tag: 'devices',
    summary: 'Your signed-in devices (device sessions), most recently used first',
    response: DevicesResponse,
    errors: [],
  },
  revokeDevice: {
    method: 'DELETE',
    path: '/v1/me/devices/:id',
    access: 'user',
    tag: 'devices',
    summary: 'Sign a device out: its refresh token stops working and its sockets close with 4201 (do not reconnect)',
    params: IdParams,
    response: EmptyResponse,
    errors: ['not_found'],
  },
  revokeOtherDevices: {
    method: 'POST',
    path: '/v1/me/devices/revoke-others',
    access: 'user',
    tag: 'devices',
    summary: 'Sign out every device but this one: their refresh tokens stop working and their sockets close with 4201',
    response: SignedOutResponse,
    errors: [],
  },
  setPushToken: {
    method: 'PUT',
    path: '/v1/me/devices/current/push-token',
    access: 'user',
    tag: 'devices',
    summary: 'Register this device\'s push token (APNs, FCM or Web Push)',
    body: PushTokenBody,
    response: EmptyResponse,
    errors: ['bad_request'],
  },
  clearPushToken: {
    method: 'DELETE',
    path: '/v1/me/devices/current/push-token',
    access: 'user',
    tag: 'devices',
    summary: 'Forget this device\'s push token',
    response: EmptyResponse,
    errors: ['bad_request'],
  },
} as const satisfies Record<string, EndpointSpec>;
