import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { InvitesService } from './invites.service.ts';

export function inviteRoutes(deps: { invites: InvitesService }): Route[] {
  const { invites } = deps;
  return [
    route(Endpoints.createInvite, async ({ actor, params, body }) => ({ invite: await invites.create(actor, params.id, body) })),
    route(Endpoints.listInvites, async ({ actor, params }) => ({ invites: await invites.list(actor, params.id) })),
    route(Endpoints.revokeInvite, async ({ actor, params }) => {
      await invites.revoke(actor, params.id, params.code);
      return {};
    }),
    route(Endpoints.getInvite, ({ params }) => invites.preview(params.code)),
    route(Endpoints.joinByInvite, ({ actor, params }) => invites.join(actor, params.code)),
    route(Endpoints.listJoinRequests, async ({ actor, params }) => ({ requests: await invites.requests(actor, params.id) })),
    route(Endpoints.approveJoinRequest, async ({ actor, params }) => {
      await invites.approve(actor, params.id, params.userId);
      return {};
    }),
    route(Endpoints.declineJoinRequest, async ({ actor, params }) => {
      await invites.decline(actor, params.id, params.userId);
      return {};
    }),
  ];
}
