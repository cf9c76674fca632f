import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { PrivacyService } from './privacy.service.ts';

export function privacyRoutes(deps: { privacy: PrivacyService }): Route[] {
  const { privacy } = deps;
  return [
    route(Endpoints.listBlocks, async ({ actor }) => ({ users: await privacy.blocks(actor) })),
    route(Endpoints.blockUser, async ({ actor, params }) => {
      await privacy.block(actor, params.id);
      return {};
    }),
    route(Endpoints.unblockUser, async ({ actor, params }) => {
      await privacy.unblock(actor, params.id);
      return {};
    }),
    route(Endpoints.getSettings, async ({ actor }) => ({ settings: await privacy.settings(actor) })),
    route(Endpoints.updateSettings, async ({ actor, body }) => ({ settings: await privacy.updateSettings(actor, body) })),
  ];
}
