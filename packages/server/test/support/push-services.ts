/**
 * Local stand-ins for the three push services, speaking their real protocols and checking
 * what the real ones check: FCM HTTP v1 (OAuth2 JWT-bearer token endpoint + messages:send),
 * APNs (HTTP/2 over TLS, ES256 provider tokens, apns-* headers) and a Web Push service
 * (RFC 8030 with VAPID, RFC 8292; the payload decrypted as a browser does, RFC 8291).
 * Each records what it accepted; `answer` lets a test script failures.
 */
import { createDecipheriv, createECDH, createHmac, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, importJWK, importSPKI, jwtVerify } from 'jose';

export const PAYLOAD_LIMIT = 4096;

/** A scripted answer; undefined: the service's normal success. `hang` never answers; `destroy` drops the connection. */
export type Scripted = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang' | 'destroy' | undefined;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server | Http2SecureServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server | Http2SecureServer, sockets: Set<{ destroy(): void }>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server | Http2SecureServer): Set<{ destroy(): void }> {
  const sockets = new Set<{ destroy(): void }>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

function reply(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { ...(text && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers });
  response.end(text);
}

// --- Web Push --------------------------------------------------------------------------

/** A browser's side of a subscription: its P-256 key pair and auth secret. */
export class BrowserSubscription {
  readonly ecdh = createECDH('prime256v1');
  readonly auth = randomBytes(16);
  readonly endpoint: string;

  constructor(endpoint: string) {
    this.ecdh.generateKeys();
    this.endpoint = endpoint;
  }

  toJSON() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: this.ecdh.getPublicKey().toString('base64url'), auth: this.auth.toString('base64url') } };
  }

  /**
   * Decrypts an aes128gcm Web Push message exactly as a browser does (RFC 8291 §3.4 and
   * RFC 8188): read salt, record size and the sender's key from the header, derive the
   * IKM from ECDH and the auth secret, then the content key and nonce, open the record
   * and strip the padding up to the 0x02 delimiter.
   */
  decrypt(body: Buffer): Buffer {
    const salt = body.subarray(0, 16);
    const recordSize = body.readUInt32BE(16);
    const idLength = body[20]!;
    const asPublic = body.subarray(21, 21 + idLength);
    const record = body.subarray(21 + idLength);
    if (idLength !== 65) throw new Error(`keyid is ${idLength} bytes, not a P-256 point`);
    if (record.length > recordSize) throw new Error('more than one record');
    const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();
    const uaPublic = this.ecdh.getPublicKey();
    const ecdhSecret = this.ecdh.computeSecret(asPublic);
    // HKDF-Extract(auth, ecdh) then Expand with "WebPush: info" || 0x00 || ua || as || 0x01
    const prkKey = hmac(this.auth, ecdhSecret);
    const ikm = hmac(prkKey, Buffer.concat([Buffer.from('WebPush: info'), Buffer.from([0]), uaPublic, asPublic, Buffer.from([1])]));
    const prk = hmac(salt, ikm);
    const cek = hmac(prk, Buffer.concat([Buffer.from('Content-Encoding: aes128gcm'), Buffer.from([0, 1])])).subarray(0, 16);
    const nonce = hmac(prk, Buffer.concat([Buffer.from('Content-Encoding: nonce'), Buffer.from([0, 1])])).subarray(0, 12);
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('the last record does not end with the 0x02 delimiter');
    return padded.subarray(0, end);
  }
}

export interface WebPushReceived {
  path: string;
  headers: IncomingMessage['headers'];
  /** The decrypted notification (JSON). */
  message: any;
  jwt: { aud: string; sub: string; exp: number };
}

/**
 * A push service: `POST /push/<id>` for subscriptions it issued. It refuses what a real one
 * refuses (401 without a valid VAPID token, 400 without aes128gcm or TTL, 413 over 4096
 * bytes), decrypts what it accepts with the browser's key and records it.
 */
export async function startWebPushService() {
  const subscriptions = new Map<string, BrowserSubscription>();
  const received: WebPushReceived[] = [];
  const refused: Array<{ status: number; reason: string }> = [];
  const script: Scripted[] = [];
  /** Every answer waits this long (a slow push service). */
  const pace = { delayMs: 0 };
  let requests = 0;
  let base = '';
  const server = createServer(async (request, response) => {
    requests++;
    const body = await readBody(request);
    if (pace.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, pace.delayMs));
    const id = request.url!.replace(/^\/push\//, '');
    const refuse = (status: number, reason: string) => {
      refused.push({ status, reason });
      reply(response, status, reason);
    };
    const next = script.shift();
    if (next === 'hang') return;
    if (next === 'destroy') return request.socket.destroy();
    if (next) return reply(response, next.status, next.body, next.headers);
    const subscription = subscriptions.get(id);
    if (!subscription) return refuse(410, 'no such subscription');
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(request.headers.authorization ?? '');
    if (!match) return refuse(401, 'no vapid authorization');
    let jwt;
    try {
      const point = Buffer.from(match[2]!, 'base64url');
      const key = await importJWK({ kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, 'ES256');
      if (decodeProtectedHeader(match[1]!).alg !== 'ES256') throw new Error('not ES256');
      ({ payload: jwt } = await jwtVerify(match[1]!, key, { audience: base, algorithms: ['ES256'] }));
      if (typeof jwt.exp !== 'number' || jwt.exp > Date.now() / 1000 + 24 * 3600) throw new Error('exp more than 24 hours ahead');
      if (typeof jwt.sub !== 'string' || !/^(mailto:|https:)/.test(jwt.sub)) throw new Error('sub is not a contact URL');
    } catch (error) {
      return refuse(403, `bad vapid token: ${(error as Error).message}`);
    }
    if (request.headers['content-encoding'] !== 'aes128gcm') return refuse(400, 'content-encoding must be aes128gcm');
    if (!/^\d+$/.test(String(request.headers.ttl ?? ''))) return refuse(400, 'TTL header missing');
    const topic = request.headers.topic;
    if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(String(topic))) return refuse(400, 'bad Topic');
    if (body.length > PAYLOAD_LIMIT) return refuse(413, 'payload too large');
    let message;
    try {
      message = JSON.parse(subscription.decrypt(body).toString('utf8'));
    } catch (error) {
      return refuse(400, `cannot decrypt: ${(error as Error).message}`);
    }
    received.push({ path: request.url!, headers: request.headers, message, jwt: jwt as WebPushReceived['jwt'] });
    reply(response, 201, undefined, { location: `${base}/message/${received.length}` });
  });
  const sockets = track(server);
  const port = await listen(server);
  base = `http://127.0.0.1:${port}`;
  return {
    base,
    received,
    refused,
    script,
    pace,
    get requests() {
      return requests;
    },
    /** A new browser subscription to this service. */
    subscribe(): BrowserSubscription {
      const id = randomBytes(12).toString('base64url');
      const subscription = new BrowserSubscription(`${base}/push/${id}`);
      subscriptions.set(id, subscription);
      return subscription;
    },
    /** The browser unsubscribed: its endpoint answers 410 from now on. */
    unsubscribe(subscription: BrowserSubscription): void {
      subscriptions.delete(subscription.endpoint.split('/push/')[1]!);
    },
    close: () => closeServer(server, sockets),
  };
}

// --- FCM -------------------------------------------------------------------------------

/** A service-account key file as the Firebase console hands it out, for a project on the stand-in. */
export function serviceAccountFor(tokenUri: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    json: {
      type: 'service_account',
      project_id: 'parley-test',
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'push@parley-test.iam.gserviceaccount.com',
      client_id: '1234567890',
      token_uri: tokenUri,
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface FcmReceived {
  message: any;
  bytes: number;
}

/**
 * Google's OAuth2 token endpoint (JWT bearer grant, RFC 7523: RS256 signed by the service
 * account, aud = token endpoint, scope firebase.messaging, lifetime ≤ 1 h) and FCM's
 * `POST /v1/projects/<id>/messages:send` (bearer token it issued, a valid message, ≤ 4096 bytes).
 */
export async function startFcmService(options: { tokenLifetimeSec?: number } = {}) {
  let base = '';
  const tokens = new Map<string, number>();
  const tokenRequests: any[] = [];
  const received: FcmReceived[] = [];
  const refused: Array<{ status: number; reason: string }> = [];
  const script: Scripted[] = [];
  const unregistered = new Set<string>();
  let account: { json: ReturnType<typeof serviceAccountFor>['json']; publicKeyPem: string } | null = null;
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    if (request.url === '/token') {
      const form = new URLSearchParams(body.toString());
      const refuse = (reason: string) => reply(response, 400, { error: 'invalid_grant', error_description: reason });
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('grant_type');
      try {
        const assertion = form.get('assertion') ?? '';
        const header = decodeProtectedHeader(assertion);
        if (header.alg !== 'RS256' || header.kid !== account!.json.private_key_id) throw new Error(`header ${JSON.stringify(header)}`);
        const { payload } = await jwtVerify(assertion, await importSPKI(account!.publicKeyPem, 'RS256'), { issuer: account!.json.client_email, audience: `${base}/token` });
        if (payload.scope !== 'https://www.googleapis.com/auth/firebase.messaging') throw new Error('scope');
        if (payload.exp! - payload.iat! > 3600) throw new Error('lifetime over an hour');
        tokenRequests.push(payload);
      } catch (error) {
        return refuse(`Invalid JWT: ${(error as Error).message}`);
      }
      const token = `ya29.${randomBytes(16).toString('base64url')}`;
      const lifetime = options.tokenLifetimeSec ?? 3599;
      tokens.set(token, Date.now() + lifetime * 1000);
      return reply(response, 200, { access_token: token, expires_in: lifetime, token_type: 'Bearer' });
    }
    const error = (status: number, code: string, message: string, errorCode?: string) => {
      refused.push({ status, reason: errorCode ?? code });
      reply(response, status, { error: { code: status, message, status: code, ...(errorCode ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] } : {}) } });
    };
    if (request.method !== 'POST' || request.url !== `/v1/projects/${account!.json.project_id}/messages:send`) return error(404, 'NOT_FOUND', 'no such method');
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer) || tokens.get(bearer)! < Date.now()) return error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const next = script.shift();
    if (next === 'hang') return;
    if (next === 'destroy') return request.socket.destroy();
    if (next) return reply(response, next.status, next.body, next.headers);
    let parsed;
    try {
      parsed = JSON.parse(body.toString());
    } catch {
      return error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    const message = parsed.message;
    if (!message?.token) return error(400, 'INVALID_ARGUMENT', 'message.token is required', 'INVALID_ARGUMENT');
    if (message.data && Object.values(message.data).some((value) => typeof value !== 'string')) return error(400, 'INVALID_ARGUMENT', 'data values must be strings', 'INVALID_ARGUMENT');
    if (body.length > PAYLOAD_LIMIT) return error(400, 'INVALID_ARGUMENT', 'Message is too big', 'INVALID_ARGUMENT');
    if (unregistered.has(message.token)) return error(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
    received.push({ message, bytes: body.length });
    reply(response, 200, { name: `projects/${account!.json.project_id}/messages/${received.length}` });
  });
  const sockets = track(server);
  const port = await listen(server);
  base = `http://127.0.0.1:${port}`;
  account = serviceAccountFor(`${base}/token`);
  return {
    base,
    serviceAccount: account.json,
    received,
    refused,
    tokenRequests,
    script,
    unregistered,
    /** Revokes every access token it issued (as when the key is rotated). */
    revokeTokens: () => tokens.clear(),
    close: () => closeServer(server, sockets),
  };
}

// --- APNs ------------------------------------------------------------------------------

/** A self-signed certificate for 127.0.0.1 (openssl), and a CA file that trusts it. */
export function selfSignedCertificate(): { key: string; cert: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-apns-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An APNs signing key (.p8) as Apple hands it out: PKCS #8 P-256. */
export function apnsSigningKey(): { pem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export interface ApnsReceived {
  token: string;
  headers: IncomingHttpHeaders;
  payload: any;
  jwt: { iss: string; iat: number };
}

/**
 * APNs: HTTP/2 over TLS only, `POST /3/device/<token>`, a provider token (ES256, kid,
 * iss = team, iat within the hour), apns-topic of the app, apns-push-type, priority 5 or 10,
 * apns-collapse-id ≤ 64 bytes, payload ≤ 4096 bytes. Answers with Apple's reasons.
 */
export async function startApnsService(options: { teamId: string; keyId: string; topic: string; publicKeyPem: string; now?: () => number }) {
  const tls = selfSignedCertificate();
  const received: ApnsReceived[] = [];
  const refused: Array<{ status: number; reason: string }> = [];
  const script: Scripted[] = [];
  const unregistered = new Set<string>();
  const issuedAts = new Set<number>();
  const publicKey = createPublicKey(options.publicKeyPem);
  const now = options.now ?? Date.now;
  const server = createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: false });
  server.on('stream', async (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const answer = (status: number, reason?: string, extra: Record<string, string> = {}) => {
      if (reason) refused.push({ status, reason });
      if (stream.destroyed) return;
      stream.respond({ ':status': status, 'apns-id': randomBytes(16).toString('hex'), ...(reason ? { 'content-type': 'application/json' } : {}), ...extra });
      stream.end(reason ? JSON.stringify({ reason, ...(status === 410 ? { timestamp: now() } : {}) }) : undefined);
    };
    const path = String(headers[':path']);
    if (headers[':method'] !== 'POST' || !path.startsWith('/3/device/')) return answer(405, 'MethodNotAllowed');
    const token = decodeURIComponent(path.slice('/3/device/'.length));
    const bearer = /^bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1];
    if (!bearer) return answer(403, 'MissingProviderToken');
    let jwt;
    try {
      const header = decodeProtectedHeader(bearer);
      if (header.alg !== 'ES256' || header.kid !== options.keyId) throw new Error('header');
      ({ payload: jwt } = await jwtVerify(bearer, publicKey, { issuer: options.teamId, algorithms: ['ES256'], currentDate: new Date(now()) }));
    } catch {
      return answer(403, 'InvalidProviderToken');
    }
    if (typeof jwt.iat !== 'number' || now() / 1000 - jwt.iat > 3600) return answer(403, 'ExpiredProviderToken');
    issuedAts.add(jwt.iat);
    if (headers['apns-topic'] !== options.topic) return answer(400, 'BadTopic');
    if (!['alert', 'background'].includes(String(headers['apns-push-type']))) return answer(400, 'InvalidPushType');
    if (!['5', '10'].includes(String(headers['apns-priority']))) return answer(400, 'BadPriority');
    if (headers['apns-collapse-id'] !== undefined && Buffer.byteLength(String(headers['apns-collapse-id'])) > 64) return answer(400, 'BadCollapseId');
    if (!/^[0-9a-f]{64}$/.test(token)) return answer(400, 'BadDeviceToken');
    if (body.length > PAYLOAD_LIMIT) return answer(413, 'PayloadTooLarge');
    const next = script.shift();
    if (next === 'hang') return;
    if (next === 'destroy') return stream.session?.destroy();
    if (next) return answer(next.status, (next.body as { reason?: string } | undefined)?.reason, next.headers);
    if (unregistered.has(token)) return answer(410, 'Unregistered');
    let payload;
    try {
      payload = JSON.parse(body.toString());
    } catch {
      return answer(400, 'PayloadEmpty');
    }
    received.push({ token, headers, payload, jwt: jwt as ApnsReceived['jwt'] });
    answer(200);
  });
  const sockets = track(server);
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    ca: tls.cert,
    received,
    refused,
    script,
    unregistered,
    issuedAts,
    async close() {
      await closeServer(server, sockets);
      tls.dispose();
    },
  };
}

/** A device token as iOS gives it: 32 bytes, hex. */
export const apnsDeviceToken = () => randomBytes(32).toString('hex');
