import type { Agent } from 'node:http';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '@parley/sdk';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { MESSAGE_MARK, sentAtOf, type Transport } from './transport.ts';

/** What bench/socketio-server.ts broadcasts to a room, and answers a `send` with. */
export interface SocketIoMessage {
  conversationId: string;
  seq: number;
  senderId: string;
  text: string;
}
export type SocketIoAck = { ok: true; seq: number } | { ok: false; error: string };

/**
 * Socket.IO 4 as an app's client would use it (`socket.io-client`): the token and the
 * conversation in the handshake's `auth`, `emit('send', …, ack)`, `on('message')`.
 * WebSocket transport only, as the server, and no built-in reconnection: the load
 * generator reconnects every protocol on the same schedule.
 */
export const socketIoTransport: Transport = (spec, source, events) => {
  // engine.io-client hands `agent` to `ws` in Node, and no local port (its options type says `agent` is a string or boolean).
  const options: Omit<Partial<ManagerOptions & SocketOptions>, 'agent'> & { agent?: Agent } = {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: DEFAULT_CONNECT_TIMEOUT_MS,
    auth: { token: spec.token, conversationId: spec.conversationId },
    ...(source ? { agent: source.agent() } : {}),
  };
  const socket = io(spec.url, options as Partial<ManagerOptions & SocketOptions>);
  let closed = false;
  const close = (reason: string) => {
    if (closed) return;
    closed = true;
    events.closed(reason);
  };
  socket.on('connect', () => {
    events.frame();
    events.opened();
    // The server joins the room before it answers the handshake: connected is subscribed.
    events.ready();
  });
  socket.on('message', (message: SocketIoMessage) => {
    events.frame();
    const at = message.text.indexOf(MESSAGE_MARK);
    if (at !== -1) events.delivered(sentAtOf(message.text, at));
  });
  socket.on('connect_error', (error) => {
    socket.close();
    close(`connect_error: ${error.message}`);
  });
  socket.on('disconnect', (reason) => close(reason));
  return {
    send: (id, clientMsgId, text) => {
      socket.emit('send', { conversationId: spec.conversationId, clientMsgId, text }, (ack: SocketIoAck) => {
        events.frame();
        if (ack.ok) events.acked();
        else events.sendError();
      });
    },
    close: () => {
      socket.disconnect();
      close('io client disconnect');
    },
  };
};
