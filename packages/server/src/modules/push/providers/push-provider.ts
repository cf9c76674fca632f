import type { PushData, PushPlatform } from '@parley/protocol';

/** Where one notification goes: a device's token (for Web Push the subscription endpoint and its keys). */
export interface PushTarget {
  token: string;
  /** Web Push only: the browser's P-256 key and auth secret, base64url. */
  keys: { p256dh: string; auth: string } | null;
}

/** What one device is shown; every provider renders it in its own wire format. */
export interface PushNotification {
  title: string;
  body: string;
  data: PushData;
  /** Notifications with the same key replace each other on the device (one per conversation). */
  collapseKey: string;
  /** How long the push service keeps it for an unreachable device (a call ring: until the ring runs out); absent: the provider's default. */
  ttlSec?: number;
}

/**
 * A provider's answer, as the outbox acts on it:
 * - `sent`: accepted by the provider;
 * - `gone`: the token is dead (uninstalled, expired, unsubscribed): it is removed;
 * - `retry`: try again later, not before `retryAfterMs` when the provider said so;
 * - `failed`: will never work as sent (malformed, refused): recorded, not retried.
 */
export type PushResult =
  | { kind: 'sent' }
  | { kind: 'gone'; reason: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'failed'; reason: string };

/** One push service (FCM, APNs, Web Push), speaking its own protocol behind one interface. */
export interface PushProvider {
  readonly platform: PushPlatform;
  send(target: PushTarget, notification: PushNotification): Promise<PushResult>;
  close(): Promise<void>;
}

/** Every provider's payload limit: 4 KB of what the device receives. */
export const MAX_PAYLOAD_BYTES = 4096;

/**
 * Fits a notification into a provider's payload limit by shortening the body (never the
 * routing data): `size` measures the rendered payload for a candidate body.
 */
export function fitBody(body: string, size: (body: string) => number, limit = MAX_PAYLOAD_BYTES): string | null {
  if (size(body) <= limit) return body;
  const chars = [...body];
  let low = 0;
  let high = chars.length;
  // The longest prefix (plus an ellipsis) that fits.
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (size(`${chars.slice(0, mid).join('')}…`) <= limit) low = mid;
    else high = mid - 1;
  }
  const fitted = `${chars.slice(0, low).join('')}…`;
  return size(fitted) <= limit ? fitted : null;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | null | undefined, now: number): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A short, safe description of a failure for the delivery row and the logs. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}
