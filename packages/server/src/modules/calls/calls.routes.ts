import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { CallsService } from './calls.service.ts';

export function callRoutes(deps: { calls: CallsService }): Route[] {
  const { calls } = deps;
  return [
    route(Endpoints.startCall, ({ actor, params, body }) => calls.start(actor, params.id, body.kind)),
    route(Endpoints.listMyCalls, async ({ actor }) => ({ calls: await calls.mine(actor) })),
    route(Endpoints.getCall, async ({ actor, params }) => ({ call: await calls.get(actor, params.callId) })),
    route(Endpoints.acceptCall, ({ actor, params }) => calls.accept(actor, params.callId)),
    route(Endpoints.declineCall, async ({ actor, params }) => ({ call: await calls.decline(actor, params.callId) })),
    route(Endpoints.joinCall, ({ actor, params }) => calls.join(actor, params.callId)),
    route(Endpoints.leaveCall, async ({ actor, params }) => ({ call: await calls.leave(actor, params.callId) })),
    route(Endpoints.endCall, async ({ actor, params }) => ({ call: await calls.end(actor, params.callId) })),
    route(Endpoints.getCallMedia, async ({ actor, params }) => ({ media: await calls.media(actor, params.callId) })),
    // The signature covers the exact bytes: the body arrives unparsed (the endpoint's `consumes`).
    route(Endpoints.receiveLivekitWebhook, async ({ body, request }) => {
      await calls.receiveWebhook(body, request.headers.authorization);
      return {};
    }),
  ];
}
