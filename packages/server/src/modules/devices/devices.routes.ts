import { DevicesResponse, IdParams, type IdParams as IdParamsT, PushTokenBody, type PushTokenBody as PushTokenBodyT } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { actorOf, errorResponses, userSecurity } from '../../http/index.ts';
import type { PreHandler } from '../auth/index.ts';
import type { DevicesService } from './devices.service.ts';

export function registerDeviceRoutes(app: FastifyInstance, deps: { devices: DevicesService; requireUser: PreHandler }): void {
  const { devices, requireUser } = deps;
  const common = { tags: ['devices'], security: userSecurity };
  const empty = { 200: Type.Object({}), ...errorResponses };

  app.get('/v1/me/devices', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Your signed-in devices (device sessions), most recently used first', response: { 200: DevicesResponse, ...errorResponses } },
  }, async (request) => ({ devices: await devices.list(actorOf(request)) }));

  app.delete<{ Params: IdParamsT }>('/v1/me/devices/:id', {
    onRequest: requireUser,
    schema: {
      ...common,
      summary: 'Sign a device out: its refresh token stops working and its sockets close with 4201 (do not reconnect)',
      params: IdParams,
      response: empty,
    },
  }, async (request) => {
    await devices.revoke(actorOf(request), request.params.id);
    return {};
  });

  app.put<{ Body: PushTokenBodyT }>('/v1/me/devices/current/push-token', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Register this device\'s push token (APNs, FCM or Web Push)', body: PushTokenBody, response: empty },
  }, async (request) => {
    await devices.setPushToken(actorOf(request), request.body);
    return {};
  });

  app.delete('/v1/me/devices/current/push-token', {
    onRequest: requireUser,
    schema: { ...common, summary: 'Forget this device\'s push token', response: empty },
  }, async (request) => {
    await devices.clearPushToken(actorOf(request));
    return {};
  });
}
