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

const SYNC_ACK = '{"t":"ack","id":"s"';
const SYNC_ERROR = '{"t":"error","id":"s"';

/** A number field of a frame, read by substring (the frames are the server's own, so the field is there when the prefix matched). */
function numberAfter(text: string, field: string): number {
  const at = text.indexOf(field);
  return at === -1 ? Number.NaN : Number.parseInt(text.slice(at + field.length, at + field.length + 20), 10);
}

/**
 * A session that was ready before counts as back only once caught up: after `ready` it asks
 * `sync` for its user log and its conversation from where it stood, as the SDK does on
 * every reconnect, and is ready when that is answered. A first connect is ready at `ready`.
 */
export const parleyTransport: Transport = (spec, source, events, position) => {
  const socket = openSocket(spec.url, source);
  const ownEvents = `{"t":"event","event":{"conversationId":"${spec.conversationId}","seq":`;
  const ownSeqs = new RegExp(`"conversationId":"${spec.conversationId}","seq":(\\d+)`, 'g');
  let catchingUp = false;
  /** The user log's head in this connection's `ready`: where the log stands once caught up. */
  let readyUserSeq = 0;
  const parleyEvents: TransportEvents = {
    ...events,
    ready: () => {
      if (!position.known) {
        position.known = true;
        position.userSeq = readyUserSeq;
        events.ready();
        return;
      }
      catchingUp = true;
      socket.send(JSON.stringify({ t: 'sync', id: 's', userSeq: position.userSeq, conversations: [{ id: spec.conversationId, after: position.after }] }));
    },
  };
  socket.on('open', () => {
    events.opened();
    socket.send(JSON.stringify({ t: 'auth', id: 'a', token: spec.token }));
  });
  socket.on('message', (data: Buffer) => {
    const text = data.toString();
    if (catchingUp && (text.startsWith(SYNC_ACK) || text.startsWith(SYNC_ERROR))) {
      // An error leaves the session not ready: it shows as a session that never came back.
      catchingUp = false;
      events.frame();
      if (text.startsWith(SYNC_ACK)) {
        const seqs = [...text.matchAll(ownSeqs)].map((match) => Number(match[1]));
        position.after = Math.max(position.after, ...seqs);
        position.userSeq = Math.max(position.userSeq, readyUserSeq);
        events.ready();
      }
      return;
    }
    if (text.startsWith('{"t":"ready"')) {
      readyUserSeq = numberAfter(text, '"userSeq":') || 0;
    } else if (text.startsWith(ownEvents)) {
      const seq = numberAfter(text, '"seq":');
      if (seq > position.after) position.after = seq;
    }
    onParleyFrame(text, parleyEvents);
  });
  socket.on('error', () => {});
  socket.on('close', (code) => events.closed(code));
  return {
    send: (id, clientMsgId, text) => socket.send(sendFrame(spec, id, clientMsgId, text)),
    close: () => socket.close(1000),
  };
};
