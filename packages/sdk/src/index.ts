export { ParleyClient, type ClientEvents, type ClientOptions, type ClientStatus, type Session } from './client.ts';
export { ParleyError } from './errors.ts';
export { HttpApi, type TokenSource } from './http.ts';
export { OrderedLog } from './ordered-log.ts';
export { RealtimeSocket, type SocketStatus, type WebSocketFactory, type WebSocketLike } from './socket.ts';
export { LiveState, type MessageStatus } from './live.ts';
export { ChatStore, type ConversationState, type PendingMessage } from './store.ts';
export { backoffDelay, reconnectDelay } from './backoff.ts';
export type * from '@parley/protocol';
