import { type FrameChannel, routeCommand } from './command-route.ts';
import type { HttpApi } from './http.ts';
import type { SyncTransport } from './sync-engine.ts';

/**
 * The sync engine's reads over the client's socket and HTTP API. Log pages are commands
 * with both forms (socket while it is open, HTTP otherwise: a gap is closed even while
 * reconnecting); `sync` exists only on the socket, since it follows a `ready`; summaries,
 * heads and the conversation list are HTTP only.
 */
export function syncTransportOver(socket: FrameChannel, http: HttpApi): SyncTransport {
  return {
    connected: () => socket.isOpen,
    // The engine reads only where the user's own log ends (conversations come from the
    // paged list), so one head is all it asks for, however many conversations there are.
    heads: () => http.heads({ limit: 1 }),
    conversations: (query) => http.conversations(query),
    conversation: async (conversationId) => (await http.conversation(conversationId)).conversation,
    events: (conversationId, after, limit) =>
      routeCommand(socket, { frame: { type: 'events', payload: { conversationId, after, limit } }, http: () => http.events(conversationId, { after, limit }) }),
    userEvents: (after, limit) =>
      routeCommand(socket, { frame: { type: 'user_events', payload: { after, limit } }, http: () => http.userEvents({ after, limit }) }),
    sync: (request) => routeCommand(socket, { frame: { type: 'sync', payload: request } }),
  };
}
