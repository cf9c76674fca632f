import { DEFAULT_CONNECT_TIMEOUT_MS } from '@parley/sdk';
import { WebSocket } from 'ws';
import type { SessionSpec } from '../worker-protocol.ts';
import type { Source } from './source.ts';
import { MESSAGE_MARK, sentAtOf, type Transport, type TransportEvents } from './transport.ts';

const EVENT_MARK = `"${MESSAGE_MARK}`;

/**
 * Parley's frames over `ws`: `auth` first, then `send`; `ready`, `ack` and `event` back.
 * Frames are classified by prefix and the message clock found by substring, not JSON.parse,
 * so the generator spends its share of the two cores on sockets.
 */
export function onParleyFrame(text: string, events: TransportEvents): void {
  events.frame();
  if (text.startsWith('{"t":"event"')) {
    // The sender's own ack echoes the message too: only pushed events are deliveries.
    const at = text.indexOf(EVENT_MARK);
    if (at !== -1) events.delivered(sentAtOf(text, at + 1));
  } else if (text.startsWith('{"t":"ready"')) {
    events.ready();
  } else if (text.startsWith('{"t":"ack"')) {
    if (text.includes('"seq"')) events.acked();
  } else if (text.startsWith('{"t":"error"') && !text.includes('"id":null')) {
    events.sendError();
  }
}

export function sendFrame(spec: SessionSpec, id: number, clientMsgId: string, text: string): string {
  return `{"t":"send","id":"${id}","conversationId":"${spec.conversationId}","clientMsgId":"${clientMsgId}","text":"${text}"}`;
}

/** Opens a `ws` socket the way every bench client does: no compression, from the worker's source address and a port it picks, given up (and retried) after the SDK's connect timeout. */
export function openSocket(url: string, source: Source | undefined): WebSocket {
  return new WebSocket(url, { perMessageDeflate: false, ...(source ? { localAddress: source.address, localPort: source.nextPort() } : {}), handshakeTimeout: DEFAULT_CONNECT_TIMEOUT_MS });
}

export const parleyTransport: Transport = (spec, source, events) => {
  const socket = openSocket(spec.url, source);
  socket.on('open', () => {
    events.opened();
    socket.send(JSON.stringify({ t: 'auth', id: 'a', token: spec.token }));
  });
  socket.on('message', (data: Buffer) => onParleyFrame(data.toString(), events));
  socket.on('error', () => {});
  socket.on('close', (code) => events.closed(code));
  return {
    send: (id, clientMsgId, text) => socket.send(sendFrame(spec, id, clientMsgId, text)),
    close: () => socket.close(1000),
  };
};
