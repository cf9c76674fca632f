import Type from 'typebox';
import { Limits } from './limits.ts';

/**
 * Ids are opaque strings. Users may be given ids by a product's own user service
 * (the `sub` of its tokens), so the alphabet is wide, but never contains `/`, `?`,
 * `#`, `%` or white space: an id is always safe in a URL path.
 */
export const Id = Type.String({ minLength: 1, maxLength: Limits.idMaxLength, pattern: '^[A-Za-z0-9._:@|+=~-]+$' });

/** A position in a gap-free log: 0 means "before the first event". */
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** ISO 8601 timestamp in UTC, e.g. `2026-11-22T10:00:00.000Z`. Timestamps never order anything; seqs do. */
export const Timestamp = Type.String({ format: 'date-time' });

export const Handle = Type.String({
  minLength: Limits.handleMinLength,
  maxLength: Limits.handleMaxLength,
  pattern: '^[A-Za-z][A-Za-z0-9_.]*$',
  description: 'Unique, case-insensitive; stored lower-case.',
});

export const DisplayName = Type.String({ minLength: 1, maxLength: Limits.displayNameMaxLength });

export const Password = Type.String({ minLength: Limits.passwordMinLength, maxLength: Limits.passwordMaxLength });

export const ClientMsgId = Type.String({
  minLength: 1,
  maxLength: Limits.clientMsgIdMaxLength,
  pattern: '^[A-Za-z0-9._:-]+$',
  description: 'Chosen by the client, unique per sender and conversation; a retried send with the same id returns the original message.',
});

export const MessageText = Type.String({
  minLength: 1,
  maxLength: Limits.messageTextMaxLength,
  description: 'Characters (code points). 16,000 is the protocol\'s cap; a server is configured lower (MAX_MESSAGE_LENGTH, 4,000 by default, announced as `maxMessageLength` in the socket\'s `ready` frame): text over its limit answers 422 `limit_exceeded` with `details: {path, limit}`.',
});

export const Title = Type.String({ minLength: 1, maxLength: Limits.titleMaxLength });
