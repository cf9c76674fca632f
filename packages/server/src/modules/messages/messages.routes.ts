import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { MessagesService } from './messages.service.ts';

export function messageRoutes(deps: { messages: MessagesService }): Route[] {
  const { messages } = deps;
  return [
    route(Endpoints.sendMessage, async ({ actor, params, body }) => ({ message: await messages.send(actor, params.id, body) })),
    route(Endpoints.listMessages, ({ actor, params, query }) => messages.history(actor, params.id, query)),
    route(Endpoints.editMessage, async ({ actor, params, body }) => ({ message: await messages.edit(actor, params.id, params.messageId, body.text) })),
    route(Endpoints.deleteMessage, async ({ actor, params }) => ({ message: await messages.delete(actor, params.id, params.messageId) })),
    route(Endpoints.forwardMessage, async ({ actor, params, body }) => ({ message: await messages.forward(actor, params.id, body) })),
    route(Endpoints.listReactions, ({ actor, params }) => messages.reactions(actor, params.id, params.messageId)),
    route(Endpoints.addReaction, async ({ actor, params }) => {
      await messages.react(actor, params.id, params.messageId, params.emoji);
      return {};
    }),
    route(Endpoints.removeReaction, async ({ actor, params }) => {
      await messages.unreact(actor, params.id, params.messageId, params.emoji);
      return {};
    }),
    route(Endpoints.listPins, async ({ actor, params }) => ({ messages: await messages.pins(actor, params.id) })),
    route(Endpoints.pinMessage, async ({ actor, params }) => {
      await messages.pin(actor, params.id, params.messageId);
      return {};
    }),
    route(Endpoints.unpinMessage, async ({ actor, params }) => {
      await messages.unpin(actor, params.id, params.messageId);
      return {};
    }),
  ];
}
