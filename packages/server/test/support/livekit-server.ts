import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for a LiveKit server, written from LiveKit's own protocol (github
 * livekit/protocol: `livekit_room.proto`, `webhook/url_notifier.go`; livekit/node-sdks:
 * `TwirpRPC.ts`, `ServiceBase.ts`), sharing no code with the SDK it talks to:
 *
 * - the Twirp room API: `POST /twirp/livekit.RoomService/<Method>` with a protobuf-JSON
 *   body (camelCase field names), `Authorization: Bearer <JWT>` signed HS256 with the API
 *   secret, issuer the API key, carrying a `video` grant (`roomCreate` for rooms,
 *   `roomAdmin` plus `room` for acting on participants); errors as Twirp JSON
 *   `{"code": "not_found", "msg": …}`;
 * - clients joining with an access token (`video.roomJoin`, `video.room`, `sub` identity);
 * - webhooks as LiveKit posts them: the protojson `WebhookEvent` as the body,
 *   `Content-Type: application/webhook+json`, `Authorization: <JWT>` (no "Bearer") whose
 *   `sha256` claim is base64(sha256(body)), valid for five minutes.
 */
export interface LivekitTestServer {
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Twirp calls that passed authentication, in order. */
  readonly calls: Array<{ method: string; body: any }>;
  /** Calls refused (bad or missing credentials, wrong grant). */
  readonly refused: Array<{ method: string; reason: string }>;
  readonly rooms: Map<string, { maxParticipants: number; emptyTimeout: number; participants: Set<string> }>;
  /** A client connecting with `token`: checked like LiveKit does, then `participant_joined` is posted. Returns its grants. */
  join(token: string): Promise<{ identity: string; room: string; video: any }>;
  /** A participant leaves: `participant_left` is posted. */
  leave(room: string, identity: string): Promise<Response>;
  finishRoom(room: string): Promise<Response>;
  /** Posts a webhook as LiveKit does (or with a tampered signature / body). */
  postWebhook(event: object, options?: { secret?: string; tamperBody?: boolean; contentType?: string }): Promise<Response>;
  /** Where webhooks go. */
  webhookUrl: string;
  close(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(createHmac('sha256', secret).update(`${head}.${body}`).digest())}`;
}

/** Verifies an HS256 JWT as LiveKit's auth does: signature, issuer = API key, exp/nbf. Throws with the reason. */
export function verifyJwt(token: string, apiKey: string, secret: string): any {
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) throw new Error('not a JWT');
  if (JSON.parse(Buffer.from(head, 'base64url').toString()).alg !== 'HS256') throw new Error('not HS256');
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  const now = Date.now() / 1000;
  if (claims.iss !== apiKey) throw new Error('wrong issuer');
  if (typeof claims.exp !== 'number' || claims.exp < now) throw new Error('expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now + 10) throw new Error('not yet valid');
  return claims;
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });

/** What each room method needs in the token's video grant. */
const NEEDS: Record<string, (video: any, body: any) => boolean> = {
  CreateRoom: (video) => video.roomCreate === true,
  DeleteRoom: (video) => video.roomCreate === true,
  ListRooms: (video) => video.roomList === true,
  RemoveParticipant: (video, body) => video.roomAdmin === true && video.room === body.room,
  ListParticipants: (video, body) => video.roomAdmin === true && video.room === body.room,
};

export async function startLivekitServer(webhookUrl: () => string): Promise<LivekitTestServer> {
  const apiKey = `APIkey${randomBytes(4).toString('hex')}`;
  const apiSecret = randomBytes(24).toString('base64url');
  const calls: LivekitTestServer['calls'] = [];
  const refused: LivekitTestServer['refused'] = [];
  const rooms: LivekitTestServer['rooms'] = new Map();
  const twirpError = (status: number, code: string, msg: string) => ({ status, body: { code, msg } });

  function handle(method: string, body: any): { status: number; body: unknown } {
    switch (method) {
      case 'CreateRoom': {
        const existing = rooms.get(body.name);
        if (!existing) rooms.set(body.name, { maxParticipants: body.maxParticipants ?? 0, emptyTimeout: body.emptyTimeout ?? 0, participants: new Set() });
        const room = rooms.get(body.name)!;
        return { status: 200, body: { sid: `RM_${body.name}`, name: body.name, emptyTimeout: room.emptyTimeout, maxParticipants: room.maxParticipants, creationTime: String(Math.floor(Date.now() / 1000)) } };
      }
      case 'DeleteRoom':
        if (!rooms.delete(body.room)) return twirpError(404, 'not_found', 'room not found');
        return { status: 200, body: {} };
      case 'RemoveParticipant': {
        const room = rooms.get(body.room);
        if (!room?.participants.delete(body.identity)) return twirpError(404, 'not_found', 'participant not found');
        return { status: 200, body: {} };
      }
      case 'ListParticipants':
        return { status: 200, body: { participants: [...(rooms.get(body.room)?.participants ?? [])].map((identity) => ({ identity })) } };
      default:
        return twirpError(404, 'bad_route', `no such method ${method}`);
    }
  }

  const server: Server = createServer(async (request, response) => {
    const match = /^\/twirp\/livekit\.RoomService\/(\w+)$/.exec(request.url ?? '');
    const raw = await readBody(request);
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (!match || request.method !== 'POST') return answer(404, { code: 'bad_route', msg: 'not found' });
    const method = match[1]!;
    if (!String(request.headers['content-type']).startsWith('application/json')) return answer(415, { code: 'malformed', msg: 'json only' });
    const body = JSON.parse(raw || '{}');
    const auth = request.headers.authorization ?? '';
    let claims: any;
    try {
      if (!auth.startsWith('Bearer ')) throw new Error('no bearer token');
      claims = verifyJwt(auth.slice('Bearer '.length), apiKey, apiSecret);
    } catch (error) {
      refused.push({ method, reason: (error as Error).message });
      return answer(401, { code: 'unauthenticated', msg: (error as Error).message });
    }
    const allowed = NEEDS[method];
    if (allowed && !allowed(claims.video ?? {}, body)) {
      refused.push({ method, reason: 'permission denied' });
      return answer(403, { code: 'permission_denied', msg: 'permissions denied' });
    }
    calls.push({ method, body });
    const result = handle(method, body);
    answer(result.status, result.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  let events = 0;
  async function postWebhook(event: object, options: { secret?: string; tamperBody?: boolean; contentType?: string } = {}): Promise<Response> {
    const body = JSON.stringify({ id: `EV_${++events}`, createdAt: String(Math.floor(Date.now() / 1000)), ...event });
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt({ iss: apiKey, nbf: now, exp: now + 300, sha256: createHash('sha256').update(body).digest('base64') }, options.secret ?? apiSecret);
    return fetch(webhookUrl(), {
      method: 'POST',
      headers: { authorization: token, 'content-type': options.contentType ?? 'application/webhook+json', 'user-agent': 'LiveKit' },
      body: options.tamperBody ? body.replace('"participant_', '"participant__') : body,
    });
  }
  const roomInfo = (room: string) => ({ sid: `RM_${room}`, name: room });

  return {
    url: `ws://127.0.0.1:${port}`,
    apiKey,
    apiSecret,
    calls,
    refused,
    rooms,
    get webhookUrl() {
      return webhookUrl();
    },
    async join(token) {
      const claims = verifyJwt(token, apiKey, apiSecret);
      const video = claims.video ?? {};
      if (!video.roomJoin || !video.room || !claims.sub) throw new Error('token does not allow joining');
      const room = rooms.get(video.room);
      if (!room) throw new Error(`no room ${video.room}`);
      room.participants.add(claims.sub);
      const response = await postWebhook({ event: 'participant_joined', room: roomInfo(video.room), participant: { sid: `PA_${claims.sub}`, identity: claims.sub, state: 'ACTIVE' } });
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
      return { identity: claims.sub, room: video.room, video };
    },
    leave(room, identity) {
      rooms.get(room)?.participants.delete(identity);
      return postWebhook({ event: 'participant_left', room: roomInfo(room), participant: { sid: `PA_${identity}`, identity, state: 'DISCONNECTED' } });
    },
    finishRoom(room) {
      rooms.delete(room);
      return postWebhook({ event: 'room_finished', room: roomInfo(room) });
    },
    postWebhook,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
