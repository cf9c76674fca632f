import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { DevicesService } from './devices.service.ts';

export function deviceRoutes(deps: { devices: DevicesService }): Route[] {
  const { devices } = deps;
  return [
    route(Endpoints.listDevices, async ({ actor }) => ({ devices: await devices.list(actor) })),
    route(Endpoints.revokeDevice, async ({ actor, params }) => {
      await devices.revoke(actor, params.id);
      return {};
    }),
    route(Endpoints.revokeOtherDevices, async ({ actor }) => ({ signedOut: await devices.revokeOthers(actor) })),
    route(Endpoints.setPushToken, async ({ actor, body }) => {
      await devices.setPushToken(actor, body);
      return {};
    }),
    route(Endpoints.setWebPushSubscription, async ({ actor, body }) => {
      await devices.setWebPushSubscription(actor, body);
      return {};
    }),
    route(Endpoints.clearPushToken, async ({ actor }) => {
      await devices.clearPushToken(actor);
      return {};
    }),
  ];
}
