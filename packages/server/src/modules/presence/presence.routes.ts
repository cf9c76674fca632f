import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { PresenceService } from './presence.service.ts';

export function presenceRoutes(deps: { presence: PresenceService }): Route[] {
  const { presence } = deps;
  return [
    route(Endpoints.getPresence, async ({ actor, params }) => ({ presence: (await presence.view(actor.userId, [params.id]))[0]! })),
    route(Endpoints.getPresencePrivacy, async ({ actor }) => ({ privacy: await presence.privacy(actor.userId) })),
    route(Endpoints.setPresencePrivacy, async ({ actor, body }) => ({ privacy: await presence.setPrivacy(actor.userId, body.privacy) })),
  ];
}
