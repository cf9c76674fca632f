import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { MembershipService } from './membership.service.ts';

export function membershipRoutes(deps: { membership: MembershipService }): Route[] {
  const { membership } = deps;
  return [
    route(Endpoints.listMembers, ({ actor, params, query }) => membership.listMembers(actor, params.id, query.cursor, query.limit ?? 100)),
    route(Endpoints.addMembers, ({ actor, params, body }) => membership.addMembers(actor, params.id, body.userIds)),
    route(Endpoints.removeMember, ({ actor, params, query }) => membership.removeMember(actor, params.id, params.userId, query.reason)),
    route(Endpoints.changeMemberRole, ({ actor, params, body }) => membership.setRole(actor, params.id, params.userId, body)),
    route(Endpoints.muteMember, ({ actor, params, body }) => membership.mute(actor, params.id, params.userId, body)),
    route(Endpoints.unmuteMember, ({ actor, params }) => membership.unmute(actor, params.id, params.userId)),
    route(Endpoints.listBans, async ({ actor, params }) => ({ bans: await membership.bans(actor, params.id) })),
    route(Endpoints.ban, ({ actor, params, body }) => membership.ban(actor, params.id, body)),
    route(Endpoints.unban, async ({ actor, params }) => {
      await membership.unban(actor, params.id, params.userId);
      return {};
    }),
    route(Endpoints.transferOwnership, ({ actor, params, body }) => membership.transfer(actor, params.id, body.userId)),
    route(Endpoints.leaveConversation, ({ actor, params }) => membership.removeMember(actor, params.id, actor.userId)),
    route(Endpoints.joinConversation, ({ actor, params }) => membership.join(actor, params.id)),
  ];
}
