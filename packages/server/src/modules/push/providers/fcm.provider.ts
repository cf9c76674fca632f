import { importPKCS8, SignJWT } from 'jose';
import type { Clock } from '../../../platform/time.ts';
import { describe, fitBody, MAX_PAYLOAD_BYTES, type PushNotification, type PushProvider, type PushResult, type PushTarget, retryAfterMs } from './push-provider.ts';

/** The fields of a Google service-account key file (JSON) that FCM needs. */
export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  /** Where the signed assertion is exchanged for an access token. */
  token_uri?: string;
}

export interface FcmOptions {
  serviceAccount: ServiceAccount;
  /** Base of the FCM API (https://fcm.googleapis.com); tests point it at a local server. */
  apiUrl: string;
  timeoutMs: number;
  clock: Clock;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A cached access token is replaced this long before Google says it expires. */
const EXPIRY_MARGIN_MS = 60_000;

/** Reads and checks a service-account key; throws a message naming what is missing. */
export function parseServiceAccount(json: string): ServiceAccount {
  const value = JSON.parse(json) as Partial<ServiceAccount> & { type?: string };
  for (const field of ['project_id', 'client_email', 'private_key'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') throw new Error(`the service account has no ${field}`);
  }
  return value as ServiceAccount;
}

/**
 * FCM HTTP v1: the service account signs a JWT (RS256) that its token endpoint exchanges
 * for an OAuth2 access token (cached until shortly before it expires; one fetch at a time),
 * which authorizes `POST /v1/projects/<id>/messages:send`.
 */
export function createFcmProvider({ serviceAccount, apiUrl, timeoutMs, clock }: FcmOptions): PushProvider {
  const tokenUri = serviceAccount.token_uri ?? GOOGLE_TOKEN_URI;
  const sendUrl = `${apiUrl.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(serviceAccount.project_id)}/messages:send`;
  const keyPromise = importPKCS8(serviceAccount.private_key, 'RS256');
  // Rejections are seen by whoever awaits; this keeps an unused failing key from crashing the process.
  keyPromise.catch(() => {});
  let cached: { token: string; expiresAt: number } | null = null;
  let fetching: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const now = Math.floor(clock() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(serviceAccount.private_key_id ? { kid: serviceAccount.private_key_id } : {}) })
      .setIssuer(serviceAccount.client_email)
      .setSubject(serviceAccount.client_email)
      .setAudience(tokenUri)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await keyPromise);
    const response = await fetch(tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!response.ok || !body.access_token) throw new Error(`token endpoint answered ${response.status} ${body.error ?? ''}`.trim());
    cached = { token: body.access_token, expiresAt: clock() + (body.expires_in ?? 3600) * 1000 - EXPIRY_MARGIN_MS };
    return body.access_token;
  }

  function accessToken(): Promise<string> {
    if (cached && cached.expiresAt > clock()) return Promise.resolve(cached.token);
    fetching ??= fetchToken().finally(() => {
      fetching = null;
    });
    return fetching;
  }

  function render(target: PushTarget, notification: PushNotification, body: string): string {
    const { data, collapseKey } = notification;
    return JSON.stringify({
      message: {
        token: target.token,
        notification: { title: notification.title, body },
        // FCM data values are strings.
        data: {
          conversationId: data.conversationId, seq: String(data.seq), messageId: data.messageId, badge: String(data.badge), mention: String(data.mention),
          ...(data.kind ? { kind: data.kind } : {}), ...(data.callId ? { callId: data.callId } : {}), ...(data.callKind ? { callKind: data.callKind } : {}),
        },
        android: { collapse_key: collapseKey, priority: 'HIGH', ...(notification.ttlSec !== undefined ? { ttl: `${notification.ttlSec}s` } : {}), notification: { tag: collapseKey, notification_count: data.badge } },
        apns: { headers: { 'apns-collapse-id': collapseKey.slice(0, 64) }, payload: { aps: { badge: data.badge, 'thread-id': collapseKey } } },
      },
    });
  }

  return {
    platform: 'fcm',
    async send(target, notification) {
      const body = fitBody(notification.body, (candidate) => Buffer.byteLength(render(target, notification, candidate)), MAX_PAYLOAD_BYTES);
      if (body === null) return { kind: 'failed', reason: 'payload larger than 4096 bytes' };
      let token: string;
      try {
        token = await accessToken();
      } catch (error) {
        // Expired or revoked credentials, or the token endpoint is down: later, maybe with new credentials.
        return { kind: 'retry', reason: `oauth: ${describe(error)}` };
      }
      let response: Response;
      try {
        response = await fetch(sendUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=UTF-8' },
          body: render(target, notification, body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return { kind: 'retry', reason: describe(error) };
      }
      const text = await response.text().catch(() => '');
      if (response.ok) return { kind: 'sent' };
      return classify(response.status, text, retryAfterMs(response.headers.get('retry-after'), clock()), () => {
        cached = null;
      });
    },
    async close() {},
  };
}

interface FcmError {
  error?: { status?: string; message?: string; details?: Array<{ '@type'?: string; errorCode?: string }> };
}

/** FCM's error answers (https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode) as outbox actions. */
function classify(status: number, text: string, retryAfter: number | undefined, dropToken: () => void): PushResult {
  let parsed: FcmError = {};
  try {
    parsed = JSON.parse(text) as FcmError;
  } catch {
    // Not JSON (a proxy's page): the status decides.
  }
  const code = parsed.error?.details?.find((detail) => detail.errorCode)?.errorCode ?? parsed.error?.status ?? '';
  const reason = `${status} ${code} ${parsed.error?.message ?? ''}`.trim().slice(0, 300);
  if (code === 'UNREGISTERED' || status === 404) return { kind: 'gone', reason };
  // The token belongs to another Firebase project: it will never work here.
  if (code === 'SENDER_ID_MISMATCH') return { kind: 'gone', reason };
  if (status === 401) {
    // Our access token expired or was revoked early: fetch a new one and try again.
    dropToken();
    return { kind: 'retry', reason, retryAfterMs: 0 };
  }
  if (status === 429 || status >= 500) return { kind: 'retry', reason, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  return { kind: 'failed', reason };
}
