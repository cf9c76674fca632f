import { onParleyFrame, openSocket, sendFrame } from './parley.ts';
import type { Transport } from './transport.ts';

/**
 * The bare `ws` relay (bench/ceiling-server.ts): the room is in the URL, there is no auth
 * (open is ready), and it answers `send` with Parley's `ack` and `event` frames.
 */
export const relayTransport: Transport = (spec, source, events) => {
  const socket = openSocket(spec.url, source);
  socket.on('open', () => {
    events.opened();
    events.ready();
  });
  socket.on('message', (data: Buffer) => onParleyFrame(data.toString(), events));
  socket.on('error', () => {});
  socket.on('close', (code) => events.closed(code));
  return {
    send: (id, clientMsgId, text) => socket.send(sendFrame(spec, id, clientMsgId, text)),
    close: () => socket.close(1000),
  };
};
