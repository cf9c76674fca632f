import { type ClientHttp2Session, connect, constants } from 'node:http2';
import { createHash } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { Clock } from '../../../platform/time.ts';
import { describe, fitBody, MAX_PAYLOAD_BYTES, type PushNotification, type PushProvider, type PushResult, type PushTarget, retryAfterMs } from './push-provider.ts';

export interface ApnsOptions {
  /** The .p8 signing key (PKCS #8 PEM) from the Apple developer account. */
  key: string;
  keyId: string;
  teamId: string;
  /** The app's bundle id (`apns-topic`). */
  topic: string;
  /** https://api.push.apple.com, https://api.sandbox.push.apple.com, or a test server. */
  url: string;
  /** Extra trusted certificates (PEM), for a test server's self-signed one. */
  ca?: string | undefined;
  timeoutMs: number;
  clock: Clock;
}

/** Apple accepts a provider token for an hour and refuses new ones more often than every 20 minutes. */
const TOKEN_REFRESH_MS = 50 * 60_000;
/** A notification the device could not get within a day is not worth showing. */
const EXPIRATION_SEC = 24 * 3600;

/** apns-collapse-id is at most 64 bytes: longer keys are hashed. */
function collapseId(key: string): string {
  return Buffer.byteLength(key) <= 64 ? key : createHash('sha256').update(key).digest('base64url');
}

/**
 * APNs over HTTP/2 (one connection, multiplexed, reopened when it closes) with a provider
 * token: an ES256 JWT of the team, signed with the key, renewed every 50 minutes and at
 * once when Apple calls it expired.
 */
export function createApnsProvider(options: ApnsOptions): PushProvider {
  const { clock } = options;
  const keyPromise = importPKCS8(options.key, 'ES256');
  keyPromise.catch(() => {});
  let providerToken: { jwt: string; issuedAt: number } | null = null;
  let session: ClientHttp2Session | null = null;
  let closed = false;

  async function bearer(): Promise<string> {
    const now = clock();
    if (providerToken && now - providerToken.issuedAt < TOKEN_REFRESH_MS) return providerToken.jwt;
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: options.keyId })
      .setIssuer(options.teamId)
      .setIssuedAt(Math.floor(now / 1000))
      .sign(await keyPromise);
    providerToken = { jwt, issuedAt: now };
    return jwt;
  }

  function connection(): ClientHttp2Session {
    if (session && !session.closed && !session.destroyed) return session;
    const opened = connect(options.url, options.ca ? { ca: options.ca } : {});
    // A connection Apple closes (GOAWAY, idle, network) is replaced on the next send; its failed streams are retried by the outbox.
    const forget = () => {
      if (session === opened) session = null;
    };
    opened.on('error', forget);
    opened.on('goaway', forget);
    opened.on('close', forget);
    opened.unref();
    session = opened;
    return opened;
  }

  function render(notification: PushNotification, body: string): string {
    const { data } = notification;
    return JSON.stringify({
      aps: { alert: { title: notification.title, body }, badge: data.badge, sound: 'default', 'thread-id': notification.collapseKey },
      conversationId: data.conversationId,
      seq: data.seq,
      messageId: data.messageId,
      mention: data.mention,
      ...(data.kind ? { kind: data.kind } : {}),
      ...(data.callId ? { callId: data.callId, ...(data.callKind ? { callKind: data.callKind } : {}) } : {}),
    });
  }

  function request(target: PushTarget, notification: PushNotification, payload: string, jwt: string): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
    return new Promise((resolve, reject) => {
      let stream;
      try {
        stream = connection().request({
          ':method': 'POST',
          ':path': `/3/device/${encodeURIComponent(target.token)}`,
          authorization: `bearer ${jwt}`,
          'apns-topic': options.topic,
          'apns-push-type': 'alert',
          'apns-priority': '10',
          'apns-expiration': String(Math.floor(clock() / 1000) + (notification.ttlSec ?? EXPIRATION_SEC)),
          'apns-collapse-id': collapseId(notification.collapseKey),
          'content-type': 'application/json',
        });
      } catch (error) {
        reject(error);
        return;
      }
      let status = 0;
      let retryAfter: string | undefined;
      const chunks: Buffer[] = [];
      stream.setTimeout(options.timeoutMs, () => {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new Error(`no answer within ${options.timeoutMs} ms`));
      });
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        const value = headers['retry-after'];
        retryAfter = Array.isArray(value) ? value[0] : value;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (status === 0) reject(new Error('the stream ended without an answer'));
        else resolve({ status, body: Buffer.concat(chunks).toString('utf8'), retryAfter });
      });
      stream.on('error', reject);
      stream.on('close', () => {
        // Reset or the connection went away before an answer: a retry, like a timeout.
        if (status === 0) reject(new Error(`stream closed (${stream.rstCode})`));
      });
      stream.end(payload);
    });
  }

  return {
    platform: 'apns',
    async send(target, notification) {
      if (closed) return { kind: 'retry', reason: 'provider closed' };
      const body = fitBody(notification.body, (candidate) => Buffer.byteLength(render(notification, candidate)), MAX_PAYLOAD_BYTES);
      if (body === null) return { kind: 'failed', reason: 'payload larger than 4096 bytes' };
      let answer;
      try {
        answer = await request(target, notification, render(notification, body), await bearer());
      } catch (error) {
        return { kind: 'retry', reason: describe(error) };
      }
      if (answer.status === 200) return { kind: 'sent' };
      let reason = '';
      try {
        reason = (JSON.parse(answer.body) as { reason?: string }).reason ?? '';
      } catch {
        // No JSON body: the status decides.
      }
      return classify(answer.status, reason, retryAfterMs(answer.retryAfter, clock()), () => {
        providerToken = null;
      });
    },
    async close() {
      closed = true;
      const open = session;
      session = null;
      if (open && !open.closed) await new Promise<void>((resolve) => open.close(() => resolve()));
    },
  };
}

/** APNs answers (Apple's "Handling notification responses from APNs") as outbox actions. */
function classify(status: number, reason: string, retryAfter: number | undefined, dropToken: () => void): PushResult {
  const text = `${status} ${reason}`.trim();
  if (status === 410) return { kind: 'gone', reason: text };
  if (status === 400 && (reason === 'BadDeviceToken' || reason === 'DeviceTokenNotForTopic')) return { kind: 'gone', reason: text };
  if (status === 403 && (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken')) {
    dropToken();
    return { kind: 'retry', reason: text, retryAfterMs: 0 };
  }
  if (status === 429 || status >= 500) return { kind: 'retry', reason: text, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  return { kind: 'failed', reason: text };
}
