import { createHash } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { Clock } from '../../../platform/time.ts';
import { describe, fitBody, MAX_PAYLOAD_BYTES, type PushNotification, type PushProvider, type PushResult, type PushTarget, retryAfterMs } from './push-provider.ts';
import { encryptWebPush, OVERHEAD_BYTES, type VapidKeys, vapidJwk } from './web-push-crypto.ts';

export interface WebPushOptions {
  vapid: VapidKeys;
  /** `sub` of the VAPID token: a mailto: or https: contact for the push service's operator. */
  subject: string;
  /** How long the push service keeps an undelivered message (seconds). */
  ttlSec: number;
  timeoutMs: number;
  clock: Clock;
}

/** VAPID tokens live 12 hours (push services accept at most 24) and are reused for half of that. */
const VAPID_TTL_SEC = 12 * 3600;

/** Topic (RFC 8030 §5.4) is at most 32 characters of the base64url alphabet. */
function topic(key: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(key) ? key : createHash('sha256').update(key).digest('base64url').slice(0, 32);
}

/**
 * Web Push (RFC 8030) to the subscription's endpoint: the payload encrypted for the
 * browser (RFC 8291, aes128gcm), the server identified by VAPID (RFC 8292, an ES256 JWT
 * per push service origin, cached).
 */
export function createWebPushProvider(options: WebPushOptions): PushProvider {
  const { clock } = options;
  const keyPromise = importJWK(vapidJwk(options.vapid), 'ES256');
  keyPromise.catch(() => {});
  const tokens = new Map<string, { jwt: string; renewAt: number }>();

  async function vapidToken(audience: string): Promise<string> {
    const now = clock();
    const cached = tokens.get(audience);
    if (cached && cached.renewAt > now) return cached.jwt;
    const jwt = await new SignJWT({})
      .setProtectedHeader({ typ: 'JWT', alg: 'ES256' })
      .setAudience(audience)
      .setSubject(options.subject)
      .setExpirationTime(Math.floor(now / 1000) + VAPID_TTL_SEC)
      .sign(await keyPromise);
    // Bounded: one entry per push service origin, and there are few.
    if (tokens.size > 100) tokens.clear();
    tokens.set(audience, { jwt, renewAt: now + (VAPID_TTL_SEC * 1000) / 2 });
    return jwt;
  }

  const render = (notification: PushNotification, body: string) => JSON.stringify({ title: notification.title, body, data: notification.data, tag: notification.collapseKey });

  return {
    platform: 'webpush',
    async send(target: PushTarget, notification: PushNotification): Promise<PushResult> {
      if (!target.keys) return { kind: 'gone', reason: 'a Web Push subscription without keys cannot be encrypted for' };
      let endpoint: URL;
      try {
        endpoint = new URL(target.token);
      } catch {
        return { kind: 'gone', reason: 'the subscription endpoint is not a URL' };
      }
      // What the push service forwards (the encrypted record) is at most 4096 bytes.
      const body = fitBody(notification.body, (candidate) => Buffer.byteLength(render(notification, candidate)) + OVERHEAD_BYTES, MAX_PAYLOAD_BYTES);
      if (body === null) return { kind: 'failed', reason: 'payload larger than 4096 bytes' };
      let encrypted: Buffer;
      try {
        encrypted = encryptWebPush(Buffer.from(render(notification, body)), target.keys.p256dh, target.keys.auth);
      } catch (error) {
        return { kind: 'gone', reason: `unusable subscription keys: ${describe(error)}` };
      }
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {
            authorization: `vapid t=${await vapidToken(endpoint.origin)}, k=${options.vapid.publicKey}`,
            'content-encoding': 'aes128gcm',
            'content-type': 'application/octet-stream',
            ttl: String(notification.ttlSec ?? options.ttlSec),
            urgency: 'high',
            topic: topic(notification.collapseKey),
          },
          body: new Uint8Array(encrypted),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        return { kind: 'retry', reason: describe(error) };
      }
      const text = (await response.text().catch(() => '')).slice(0, 200);
      const reason = `${response.status} ${text}`.trim();
      if (response.status >= 200 && response.status < 300) return { kind: 'sent' };
      // The subscription expired or the user unsubscribed.
      if (response.status === 404 || response.status === 410) return { kind: 'gone', reason };
      if (response.status === 429 || response.status >= 500) {
        const after = retryAfterMs(response.headers.get('retry-after'), clock());
        return { kind: 'retry', reason, ...(after !== undefined ? { retryAfterMs: after } : {}) };
      }
      return { kind: 'failed', reason };
    },
    async close() {},
  };
}
