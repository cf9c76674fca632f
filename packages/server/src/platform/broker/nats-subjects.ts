/** Channel names that are already valid NATS subject tokens go as they are; others base64url-encoded, in their own namespace. */
const PLAIN_TOKEN = /^[A-Za-z0-9_:-]+$/;

/** What may start a subject: configured prefixes are checked by the env schema; anything else is made safe here. */
export function subjectPrefixOf(prefix: string): string {
  return prefix.replace(/[^A-Za-z0-9_-]/g, '_') || 'parley';
}

/** One subject per channel, distinct for distinct channels (so `room` never hears `room:x` or `room0`). */
export function natsSubject(prefix: string, channel: string): string {
  return PLAIN_TOKEN.test(channel) ? `${prefix}.r.${channel}` : `${prefix}.b.${Buffer.from(channel, 'utf8').toString('base64url') || '_'}`;
}

/**
 * The channel a subject made by `natsSubject(prefix, …)` carries, or null for any other
 * subject. (`_` alone is the empty channel: base64url never encodes anything as one character.)
 */
export function natsChannel(prefix: string, subject: string): string | null {
  if (!subject.startsWith(prefix) || subject.charCodeAt(prefix.length) !== 46 /* . */) return null;
  const kind = subject.slice(prefix.length + 1, prefix.length + 3);
  const token = subject.slice(prefix.length + 3);
  if (kind === 'r.') return PLAIN_TOKEN.test(token) ? token : null;
  if (kind === 'b.') return token === '_' ? '' : Buffer.from(token, 'base64url').toString('utf8');
  return null;
}
