import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The ceiling every fan-out figure is compared with: the least a chat server must do to
 * deliver a message to a room. A socket joins the room named in its URL (`/?room=r`);
 * each `send` frame is acknowledged to its sender and broadcast, serialized once, to
 * every socket of the room (the sender's own included, as Parley delivers to all of a
 * member's sessions). No auth, no storage, no ordering beyond TCP's: nothing Parley can
 * beat, which is why its figures are reported as ratios of this one in the same run.
 *
 * It answers `send` with Parley's `ack` and `event` frames (bench/lib/transports/relay.ts
 * speaks to it); a socket is in its room as soon as it is open, with no auth.
 */
const port = Number(process.env.PORT ?? 9000);
const rooms = new Map<string, Set<WebSocket>>();

const http = createServer((request, response) => {
  response.writeHead(request.url === '/readyz' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 });

wss.on('connection', (socket, request) => {
  const room = new URL(request.url ?? '/', 'http://x').searchParams.get('room') ?? 'default';
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(socket);
  let seq = 0;
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { t: string; id?: string; text?: string };
    if (frame.t === 'send') {
      seq++;
      socket.send(`{"t":"ack","id":${JSON.stringify(frame.id)},"data":{"seq":${seq}}}`);
      const event = Buffer.from(`{"t":"event","event":{"conversationId":${JSON.stringify(room)},"type":"message.created","data":{"message":{"text":${JSON.stringify(frame.text)}}}}}`);
      for (const member of members) member.send(event, { binary: false });
    }
  });
  socket.on('close', () => members.delete(socket));
  socket.on('error', () => socket.terminate());
});

http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
