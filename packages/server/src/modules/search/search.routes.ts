import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { SearchService } from './search.service.ts';

export function searchRoutes(deps: { search: SearchService }): Route[] {
  const { search } = deps;
  return [
    route(Endpoints.searchMessages, ({ actor, query }) => search.messages(actor, query)),
    route(Endpoints.searchUsers, async ({ actor, query }) => ({ users: await search.users(actor, query) })),
    route(Endpoints.searchConversations, async ({ actor, query }) => ({ conversations: await search.conversations(actor, query) })),
  ];
}
