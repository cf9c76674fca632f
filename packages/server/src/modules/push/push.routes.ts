import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { PushService } from './push.service.ts';

export function pushRoutes(deps: { push: PushService }): Route[] {
  const { push } = deps;
  return [
    route(Endpoints.getVapidKey, () => push.vapidKey()),
    route(Endpoints.getPushSettings, ({ actor }) => push.settings(actor)),
    route(Endpoints.setPushSettings, ({ actor, body }) => push.updateSettings(actor, body)),
    route(Endpoints.getConversationPushSettings, ({ actor, params }) => push.conversationSettings(actor, params.id)),
    route(Endpoints.setConversationPushSettings, ({ actor, params, body }) => push.updateConversationSettings(actor, params.id, body)),
  ];
}
