import { createServer } from 'node:http';
import { jwtVerify } from 'jose';
import { Server, type Socket } from 'socket.io';
import { BENCH_IDP } from './lib/tokens.ts';
import type { SocketIoAck, SocketIoMessage } from './lib/transports/socketio.ts';

/**
 * The second reference (issue 21 item 8): what most Node teams would write instead of
 * adopting Parley — Socket.IO 4 rooms, a room per conversation. The handshake carries the
 * app's token, verified as a real app would (HS256, issuer, audience, expiry; with `jose`,
 * the library Parley verifies with); the socket joins the conversation it names; each
 * `send` is checked against the socket's rooms, acknowledged to its sender with the
 * room's next seq, and broadcast to the room (the sender's own socket included, as Parley
 * and the relay deliver to every session). No storage and no membership table: this is
 * the app before it has a database, which is why Parley, which persists every message
 * and checks permissions, is compared with it by ratio.
 *
 * WebSocket transport only (no long-polling, no upgrade round), no compression: the same
 * wire conditions as the relay and Parley, so the comparison is the servers' work.
 */
const port = Number(process.env.PORT ?? 9001);
const MAX_TEXT = 4_000;
const MAX_ROOM_NAME = 100;
const key = new TextEncoder().encode(BENCH_IDP.secret);

const http = createServer((request, response) => {
  response.writeHead(request.url === '/readyz' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
});
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
  maxHttpBufferSize: 64 * 1024,
});

interface SessionData {
  userId: string;
  conversationId: string;
}

io.use((socket: Socket, next) => {
  const { token, conversationId } = socket.handshake.auth as { token?: unknown; conversationId?: unknown };
  if (typeof token !== 'string' || typeof conversationId !== 'string' || conversationId.length === 0 || conversationId.length > MAX_ROOM_NAME) {
    next(new Error('bad handshake'));
    return;
  }
  jwtVerify(token, key, { issuer: BENCH_IDP.issuer, audience: BENCH_IDP.audience, algorithms: ['HS256'] }).then(
    ({ payload }) => {
      if (typeof payload.sub !== 'string') return next(new Error('unauthorized'));
      socket.data = { userId: payload.sub, conversationId } satisfies SessionData;
      next();
    },
    () => next(new Error('unauthorized')),
  );
});

/** Each room's last seq: a counter per conversation, forgotten with the room. */
const seqs = new Map<string, number>();
io.of('/').adapter.on('delete-room', (room: string) => seqs.delete(room));

io.on('connection', (socket) => {
  const { userId, conversationId } = socket.data as SessionData;
  void socket.join(conversationId);
  socket.on('send', (input: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const answer = ack as (reply: SocketIoAck) => void;
    const { conversationId: room, text } = (input ?? {}) as { conversationId?: unknown; text?: unknown };
    if (typeof room !== 'string' || !socket.rooms.has(room)) return answer({ ok: false, error: 'not_a_member' });
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) return answer({ ok: false, error: 'bad_text' });
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    answer({ ok: true, seq });
    io.to(room).emit('message', { conversationId: room, seq, senderId: userId, text } satisfies SocketIoMessage);
  });
});

http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
