import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { ConversationsService } from './conversations.service.ts';

export function conversationRoutes(deps: { conversations: ConversationsService }): Route[] {
  const { conversations } = deps;
  return [
    route(Endpoints.createConversation, async ({ actor, body }) => ({ conversation: await conversations.create(actor, body) })),
    route(Endpoints.listConversations, ({ actor, query }) => conversations.list(actor, query.cursor, query.limit ?? 50)),
    route(Endpoints.getConversationByHandle, async ({ params }) => ({ conversation: await conversations.lookup(params.handle) })),
    route(Endpoints.getConversation, async ({ actor, params }) => ({ conversation: await conversations.get(actor, params.id) })),
    route(Endpoints.updateConversation, async ({ actor, params, body }) => ({ conversation: await conversations.update(actor, params.id, body) })),
    route(Endpoints.markRead, ({ actor, params, body }) => conversations.markRead(actor, params.id, body.seq)),
  ];
}
