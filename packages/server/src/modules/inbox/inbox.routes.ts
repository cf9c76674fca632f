import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { InboxService } from './inbox.service.ts';

export function inboxRoutes(deps: { inbox: InboxService }): Route[] {
  const { inbox } = deps;
  return [
    route(Endpoints.updateConversationPrefs, async ({ actor, params, body }) => ({ prefs: await inbox.updatePrefs(actor, params.id, body) })),
    route(Endpoints.clearConversationHistory, async ({ actor, params }) => ({ prefs: await inbox.clearHistory(actor, params.id) })),
    route(Endpoints.hideMessages, async ({ actor, params, body }) => ({ messageIds: await inbox.hideMessages(actor, params.id, body.messageIds) })),
  ];
}
