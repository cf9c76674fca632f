import { newId } from '../platform/ids.ts';

/**
 * A request id a client may choose (to match its own logs with ours): short and in a
 * charset that cannot forge log lines, split headers or smuggle markup. Anything else,
 * or none, gets a fresh id; the answer's `X-Request-Id` always says which one was used.
 */
export const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/u;

export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && CLIENT_REQUEST_ID.test(header) ? header : newId();
}
