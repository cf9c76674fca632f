import type { Attachment, ForwardedFrom, Message, MessagesResponse, ReactionsResponse } from '@parley/protocol';
import { hasLinks } from '../../platform/links.ts';
import type { Database, Dialect, Executor, MessagesTable, Tx } from '../../platform/db/index.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { withinBytes } from '../../platform/page-budget.ts';
import { iso, type Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { findConversation, findMember, updateMember } from '../conversations/index.ts';
import { appendAudit, appendEvent, type ChangeSet, lockConversation, nextSeqStatement, recordEvent, takeNextSeq, toMessage, toMessages, type UnitOfWork } from '../logs/index.ts';
import type { MessageIndex } from '../search-index/index.ts';
import { access, checkSlowMode, type MemberAction, membershipFactsStatement, type PolicyFacts, type PolicyHook } from '../policy/index.ts';
import * as repo from './messages.repository.ts';

/**
 * Queues a message for push notifications in the message's own transaction: one cheap
 * statement, never per-recipient work (the push worker expands it after commit).
 */
export type PushEnqueue = (trx: Tx, message: { conversationId: string; seq: number; messageId: string; senderId: string; now: number }) => Promise<void>;

export interface MessagesDeps {
  db: Database;
  /** Null: push notifications are off on this server. */
  enqueuePush?: PushEnqueue | null;
  uow: UnitOfWork;
  clock: Clock;
  hook: PolicyHook;
  /** The search index, kept in step inside each transaction that changes a message. */
  index: MessageIndex;
  maxMessageLength: number;
  /** Serialized size of one history page; past it the page stops and `hasMore` stays true. */
  pageMaxBytes?: number;
  /** Files on messages (the media module); without it, messages carry none and sending one is refused. */
  files?: MessageFiles;
}

/**
 * What messages need of the files a message carries, inside their own transactions (the
 * media module implements it; app.ts hands it in).
 */
export interface MessageFiles {
  /** The sender's unused uploads become the message's files (typed refusals for anyone else's, or used ones). */
  claim(trx: Tx, input: { actorId: string; ids: readonly string[]; messageId: string; conversationId: string }): Promise<Attachment[]>;
  /** A forward carries the original's files. */
  share(trx: Tx, input: { fromMessageId: string; messageId: string; conversationId: string }): Promise<void>;
  /** Deleted for everyone: the message no longer carries its files (removed after a grace when nothing else does). */
  release(trx: Tx, messageId: string, now: number): Promise<void>;
}

export interface SendInput {
  clientMsgId: string;
  /** The text, or the caption of the attachments (may be left out with attachments). */
  text?: string | undefined;
  replyTo?: string | undefined;
  /** Upload ids (`POST /v1/uploads`). */
  attachments?: string[] | undefined;
}

export type MessagesService = ReturnType<typeof createMessagesService>;

/** Distinct emoji one person may put on one message. */
const MAX_REACTIONS_PER_USER = 10;
/** Pinned messages per conversation. */
const MAX_PINS = 100;
/** Messages deleted per transaction when the platform removes a user's messages. */
const REMOVAL_BATCH = 200;

export { hasLinks };

/** `@handle` not inside a word or an address (`a@b.com` is no mention); a handle's trailing dots end the sentence. */
const MENTION = /(?<![A-Za-z0-9_.@])@([A-Za-z][A-Za-z0-9_.]{2,31})/g;
/** Distinct handles looked up per message: a text of a thousand @s costs one bounded query. */
const MAX_MENTIONS = 50;

/** The distinct handles (lower-case) a text mentions, in order of first appearance. */
export function mentionedHandles(text: string): string[] {
  const handles = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    const handle = match[1]!.replace(/\.+$/, '').toLowerCase();
    if (handle.length >= 3) handles.add(handle);
    if (handles.size >= MAX_MENTIONS) break;
  }
  return [...handles];
}

/** What the policy sees of a message: who sent it and whether it is deleted (null: not in this conversation). */
const seen = (message: MessagesTable | undefined): Partial<PolicyFacts> => ({ message: message ? { senderId: message.sender_id, deleted: message.deleted_at !== null } : null });

/** Pinning: a deleted message is not there to pin. */
const pinnable = (message: MessagesTable | undefined): Partial<PolicyFacts> => ({ message: message && message.deleted_at === null ? { senderId: message.sender_id, deleted: false } : null });

/** Unpinning: a message deleted since lost its pin with it, so unpinning it changes nothing rather than failing. */
const unpinnable = (message: MessagesTable | undefined): Partial<PolicyFacts> => ({ message: message ? { senderId: message.sender_id, deleted: false } : null });

/**
 * Thrown inside a transaction to roll it back (returning the seq it took) when the
 * request turns out to change nothing, carrying the answer out.
 */
class NoChange extends Error {
  readonly existing: MessagesTable;

  constructor(existing: MessagesTable) {
    super('no change');
    this.existing = existing;
  }
}

export function createMessagesService({ db, uow, clock, hook, index, maxMessageLength, pageMaxBytes, files, enqueuePush = null }: MessagesDeps) {
  const kysely = db.kysely;
  // The send's own statements are compiled once for this dialect (platform/db/prepared-query.ts).
  const dialect = db.dialect;

  /** Mentions count only members: JSON of their ids, null for none. */
  async function mentionsIn(executor: Executor, conversationId: string, text: string): Promise<string | null> {
    const ids = await repo.membersByHandle(executor, conversationId, mentionedHandles(text));
    return ids.length > 0 ? JSON.stringify(ids) : null;
  }

  function checkText(text: string): void {
    if (text.trim() === '') throw new AppError('validation_failed', 'Message text is empty.', [{ path: '/text', message: 'must contain more than white space' }]);
    // Counted in code points, as people count characters.
    let length = 0;
    // Beyond the schema's hard cap it is a schema error; below it, the server's own
    // MAX_MESSAGE_LENGTH is a configured limit (422), like members per group.
    for (const _ of text) if (++length > maxMessageLength) throw new AppError('limit_exceeded', `Message text is longer than ${maxMessageLength} characters.`, { path: '/text', limit: maxMessageLength });
  }

  async function rollbackOnNoChange(work: () => Promise<Message>): Promise<Message> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof NoChange) return (await toMessages(kysely, [error.existing]))[0]!;
      throw error;
    }
  }

  /**
   * A retried send returns the original, but only to someone who can still see the
   * conversation: a member removed since then gets not_found like everyone else.
   */
  async function knownSend(actor: Actor, conversationId: string, clientMsgId: string): Promise<Message | null> {
    const [known] = (await kysely.executeQuery(repo.clientIdStatement(dialect, kysely, conversationId, actor.userId, clientMsgId))).rows;
    if (!known) return null;
    await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
    return (await toMessages(kysely, [known]))[0]!;
  }

  /**
   * The operator's compliance endpoint, when it asked about sends or channel posts. Only
   * members' sends are put to it: anyone else is refused as not found, exactly as for a
   * conversation that does not exist (a refusal by the endpoint must not tell them apart).
   * An edit is asked as the send or post it amounts to, with the new text and `edit`: text
   * the endpoint refuses must not get in by editing a harmless message.
   */
  async function consultHook(actor: Actor, conversationId: string, text: string, editOf?: string): Promise<void> {
    if (!hook.wants('message.send') && !hook.wants('channel.post')) return;
    const { membership } = await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
    await hook.consult({
      action: membership.kind === 'channel' ? 'channel.post' : 'message.send', actorId: actor.userId, conversationId, kind: membership.kind, text,
      ...(editOf !== undefined ? { edit: true, messageId: editOf } : {}),
    });
  }

  /**
   * Appends a message at the conversation's next seq. Idempotent by (sender,
   * conversation, clientMsgId): a retry, even one racing the original, returns the
   * original message and writes nothing.
   */
  async function append(actor: Actor, conversationId: string, input: SendInput & { text: string; forwardedFrom?: ForwardedFrom; forwardedFiles?: { messageId: string; attachments: string } }): Promise<Message> {
    // A retry is found under the conversation lock, in the round trip that takes the seq
    // (`racing` below): looking for it here first would cost every send a read. Only a send
    // the compliance endpoint is asked about looks first, so a retry is not put to it again.
    if (hook.wants('message.send') || hook.wants('channel.post')) {
      const known = await knownSend(actor, conversationId, input.clientMsgId);
      if (known) return known;
      await consultHook(actor, conversationId, input.text);
    }
    const hasMedia = (input.attachments?.length ?? 0) > 0 || input.forwardedFiles !== undefined;
    if (hasMedia && !files) throw new AppError('unavailable', 'Files are not available on this server.');
    return rollbackOnNoChange(() =>
      uow(async (trx, changes) => {
        const now = clock();
        const id = newId(now);
        // Taking the seq first locks the conversation (null: there is none): the checks below
        // stay true until commit. The facts the door decides on and a racing retry are read
        // right after it under that lock, all three in one round trip to the store.
        const [taken, facts, racing] = await db.runTogether(trx, [
          nextSeqStatement(dialect, trx, conversationId, now, id),
          membershipFactsStatement(dialect, trx, conversationId, actor.userId),
          repo.clientIdStatement(dialect, trx, conversationId, actor.userId, input.clientMsgId),
        ]);
        const seq = taken[0]?.last_seq ?? null;
        if (racing[0]) {
          // A retry gets its original, as from `knownSend`: only if they can still see the conversation.
          await access(trx, actor.userId, conversationId, 'conversation.view', { now, membership: facts[0] ?? null });
          throw new NoChange(racing[0]);
        }
        const { membership } = await access(trx, actor.userId, conversationId, 'message.send', { now, membership: facts[0] ?? null, more: () => ({ hasLinks: hasLinks(input.text), hasMedia }) });
        // The writes below return nothing the send needs: they travel to the store together.
        return db.deferWrites(async () => {
          if (checkSlowMode({ seconds: membership.slow_mode_sec, role: membership.role, lastSentAt: membership.last_sent_at, now })) {
            await updateMember(trx, conversationId, actor.userId, { last_sent_at: now });
          }
          if (input.replyTo !== undefined && !(await repo.findInConversation(trx, conversationId, input.replyTo))) {
            throw new AppError('not_found', 'The message replied to was not found.', { replyTo: input.replyTo });
          }
          const message: MessagesTable = {
            id,
            conversation_id: conversationId,
            seq: seq!,
            sender_id: actor.userId,
            client_msg_id: input.clientMsgId,
            text: input.text,
            reply_to: input.replyTo ?? null,
            created_at: now,
            edited_at: null,
            deleted_at: null,
            forwarded_from: input.forwardedFrom ? JSON.stringify(input.forwardedFrom) : null,
            attachments: null,
            mentions: await mentionsIn(trx, conversationId, input.text),
          };
          // The message row first: its files refer to it.
          await trx.executeQuery(repo.insertMessageStatement(dialect, trx, message));
          if (input.attachments?.length) {
            const attachments = await files!.claim(trx, { actorId: actor.userId, ids: input.attachments, messageId: id, conversationId });
            message.attachments = JSON.stringify(attachments);
          } else if (input.forwardedFiles) {
            await files!.share(trx, { fromMessageId: input.forwardedFiles.messageId, messageId: id, conversationId });
            message.attachments = input.forwardedFiles.attachments;
          }
          if (message.attachments) await repo.setAttachments(trx, id, message.attachments);
          await index.add(trx, message);
          const wire = toMessage(message);
          await recordEvent(trx, changes, { conversationId, seq: seq!, type: 'message.created', actorId: actor.userId, data: { message: wire }, now, messageId: id }, dialect);
          if (enqueuePush) await enqueuePush(trx, { conversationId, seq: seq!, messageId: id, senderId: actor.userId, now });
          return wire;
        });
        // A send reads and writes its own conversation's rows and inserts rows only it has:
        // sends to other conversations may run beside it (unit-of-work.ts).
      }, { conflictKey: conversationId }),
    );
  }

  /**
   * The access door for an action on one message: the message (undefined when it is not in
   * this conversation) is read only once the actor is known to be a member, under the
   * conversation lock (taken here with `lock`, or held already through a taken seq), and
   * `facts` says what of it, and of anything else, the policy decides on.
   */
  async function messageAccess(
    executor: Executor, actorId: string, conversationId: string, messageId: string, action: MemberAction,
    options: { now: number; lock?: Dialect; facts: (message: MessagesTable | undefined) => Partial<PolicyFacts> | Promise<Partial<PolicyFacts>> },
  ): Promise<{ message: MessagesTable | undefined }> {
    let message: MessagesTable | undefined;
    const more = async () => options.facts((message = await repo.findInConversation(executor, conversationId, messageId)));
    await access(executor, actorId, conversationId, action, { now: options.now, lock: options.lock, more });
    return { message };
  }

  /**
   * Deletes a message for everyone on the platform's behalf (no actor): text, reactions, pin
   * and search document go, and a `message.deleted` event takes the conversation's next seq,
   * so logs stay gap-free and clients converge. The caller holds the conversation lock.
   */
  async function deleteBySystem(trx: Tx, changes: ChangeSet, conversationId: string, messageId: string, now: number): Promise<void> {
    await trx.deleteFrom('reactions').where('message_id', '=', messageId).execute();
    await trx.deleteFrom('pins').where('message_id', '=', messageId).execute();
    await files?.release(trx, messageId, now);
    const message = toMessage(await repo.updateMessage(trx, messageId, { text: null, deleted_at: now, forwarded_from: null, attachments: null, mentions: null }));
    await index.remove(trx, messageId);
    const seq = (await takeNextSeq(trx, conversationId, now))!;
    await recordEvent(trx, changes, { conversationId, seq, type: 'message.deleted', actorId: null, data: { message }, now, messageId });
  }

  async function reactionEvent(trx: Tx, changes: ChangeSet, type: 'reaction.added' | 'reaction.removed', conversationId: string, messageId: string, userId: string, emoji: string, now: number): Promise<void> {
    const count = await repo.countReactions(trx, messageId, { emoji });
    await appendEvent(trx, changes, { conversationId, type, actorId: userId, data: { messageId, userId, emoji, count }, now });
  }

  return {
    async send(actor: Actor, conversationId: string, input: SendInput): Promise<Message> {
      const text = input.text ?? '';
      // A message of files alone needs no text; a caption, when there is one, is text like any other.
      if (!input.attachments?.length || text !== '') checkText(text);
      return append(actor, conversationId, { ...input, text });
    },

    /**
     * Forwards a message you can see into a conversation you may send in, with attribution
     * to its original (a forward of a forward credits the first): `message.forward` in the
     * source (protected conversations keep their content), `message.send` in the target.
     */
    async forward(actor: Actor, conversationId: string, input: { clientMsgId: string; from: { conversationId: string; messageId: string } }): Promise<Message> {
      const known = await knownSend(actor, conversationId, input.clientMsgId);
      if (known) return known;
      const { message: found } = await messageAccess(kysely, actor.userId, input.from.conversationId, input.from.messageId, 'message.forward', { now: clock(), facts: seen });
      const original = found!;
      const source = (await findConversation(kysely, input.from.conversationId))!;
      const forwardedFrom: ForwardedFrom = original.forwarded_from
        ? (JSON.parse(original.forwarded_from) as ForwardedFrom)
        : {
            messageId: original.id,
            senderId: original.sender_id,
            conversationId: source.visibility === 'public' ? source.id : null,
            conversationTitle: source.visibility === 'public' ? source.title : null,
            createdAt: iso(original.created_at),
          };
      // The files go along (the same bytes): sending them in the target needs send_media there.
      const forwardedFiles = original.attachments ? { messageId: original.id, attachments: original.attachments } : undefined;
      return append(actor, conversationId, { clientMsgId: input.clientMsgId, text: original.text!, forwardedFrom, ...(forwardedFiles ? { forwardedFiles } : {}) });
    },

    async edit(actor: Actor, conversationId: string, messageId: string, text: string): Promise<Message> {
      checkText(text);
      await consultHook(actor, conversationId, text, messageId);
      return uow(async (trx, changes) => {
        const now = clock();
        const seq = await takeNextSeq(trx, conversationId, now);
        await messageAccess(trx, actor.userId, conversationId, messageId, 'message.edit', { now, facts: (current) => ({ ...seen(current), hasLinks: hasLinks(text) }) });
        const row = await repo.updateMessage(trx, messageId, { text, edited_at: now, mentions: await mentionsIn(trx, conversationId, text) });
        await index.put(trx, row);
        const message = (await toMessages(trx, [row]))[0]!;
        await recordEvent(trx, changes, { conversationId, seq: seq!, type: 'message.edited', actorId: actor.userId, data: { message }, now, messageId });
        return message;
      });
    },

    /**
     * Deletes for everyone: the text is gone from history and from the log; deleting twice
     * is a no-op. Deleting someone else's message is moderation: it needs
     * `delete_messages`, a higher role than the sender's, and it is audited.
     */
    async delete(actor: Actor, conversationId: string, messageId: string): Promise<Message> {
      return rollbackOnNoChange(() =>
        uow(async (trx, changes) => {
          const now = clock();
          const seq = await takeNextSeq(trx, conversationId, now);
          const { message: current } = await messageAccess(trx, actor.userId, conversationId, messageId, 'message.delete', {
            now,
            facts: async (current) => {
              // Deleting someone else's message is judged by their role there now (null: no longer a member).
              const senderRole = current && current.sender_id !== actor.userId ? ((await findMember(trx, conversationId, current.sender_id))?.role ?? null) : null;
              return { message: current ? { senderId: current.sender_id, deleted: current.deleted_at !== null, senderRole } : null };
            },
          });
          if (current!.deleted_at !== null) throw new NoChange(current!);
          await trx.deleteFrom('reactions').where('message_id', '=', messageId).execute();
          await trx.deleteFrom('pins').where('message_id', '=', messageId).execute();
          await files?.release(trx, messageId, now);
          const message = toMessage(await repo.updateMessage(trx, messageId, { text: null, deleted_at: now, forwarded_from: null, attachments: null, mentions: null }));
          await index.remove(trx, messageId);
          await recordEvent(trx, changes, { conversationId, seq: seq!, type: 'message.deleted', actorId: actor.userId, data: { message }, now, messageId });
          if (current!.sender_id !== actor.userId) {
            await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'message.deleted', targetType: 'message', targetId: messageId, data: { senderId: current!.sender_id }, now });
          }
          return message;
        }),
      );
    },

    /** Adds your reaction (idempotent). Every member may react, subscribers included. */
    async react(actor: Actor, conversationId: string, messageId: string, emoji: string): Promise<void> {
      await uow(async (trx, changes) => {
        const now = clock();
        const { message } = await messageAccess(trx, actor.userId, conversationId, messageId, 'message.react', { lock: db.dialect, now, facts: seen });
        if (!message || message.deleted_at !== null) throw new AppError('not_found', 'Message not found.');
        // Adding one you already have is a no-op, even at the limit.
        const mine = (await repo.myReactions(trx, actor.userId, [messageId]))[messageId] ?? [];
        if (mine.includes(emoji)) return;
        if (mine.length >= MAX_REACTIONS_PER_USER) throw new AppError('limit_exceeded', `At most ${MAX_REACTIONS_PER_USER} different reactions per message.`);
        if (await repo.insertReaction(trx, messageId, actor.userId, emoji, now)) await reactionEvent(trx, changes, 'reaction.added', conversationId, messageId, actor.userId, emoji, now);
      });
    },

    async unreact(actor: Actor, conversationId: string, messageId: string, emoji: string): Promise<void> {
      await uow(async (trx, changes) => {
        const now = clock();
        const { message } = await messageAccess(trx, actor.userId, conversationId, messageId, 'message.react', { lock: db.dialect, now, facts: seen });
        if (!message) throw new AppError('not_found', 'Message not found.');
        if (await repo.deleteReaction(trx, messageId, actor.userId, emoji)) await reactionEvent(trx, changes, 'reaction.removed', conversationId, messageId, actor.userId, emoji, now);
      });
    },

    /** Who reacted with what (up to 100 people per emoji). */
    async reactions(actor: Actor, conversationId: string, messageId: string): Promise<ReactionsResponse> {
      await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
      if (!(await repo.findInConversation(kysely, conversationId, messageId))) throw new AppError('not_found', 'Message not found.');
      const byEmoji = new Map<string, string[]>();
      for (const row of await repo.reactionsOf(kysely, messageId)) byEmoji.set(row.emoji, [...(byEmoji.get(row.emoji) ?? []), row.user_id]);
      return {
        reactions: [...byEmoji].sort((a, b) => b[1].length - a[1].length).map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds: userIds.slice(0, 100) })),
      };
    },

    async pin(actor: Actor, conversationId: string, messageId: string): Promise<void> {
      await uow(async (trx, changes) => {
        const now = clock();
        const { message } = await messageAccess(trx, actor.userId, conversationId, messageId, 'message.pin', { lock: db.dialect, now, facts: pinnable });
        if ((await repo.countPins(trx, conversationId)) >= MAX_PINS) throw new AppError('limit_exceeded', `At most ${MAX_PINS} pinned messages.`);
        if (await repo.insertPin(trx, conversationId, messageId, actor.userId, now)) {
          await appendEvent(trx, changes, { conversationId, type: 'message.pinned', actorId: actor.userId, data: { messageId }, now });
          await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'message.pinned', targetType: 'message', targetId: messageId, data: { senderId: message!.sender_id }, now });
        }
      });
    },

    async unpin(actor: Actor, conversationId: string, messageId: string): Promise<void> {
      await uow(async (trx, changes) => {
        const now = clock();
        const { message } = await messageAccess(trx, actor.userId, conversationId, messageId, 'message.pin', { lock: db.dialect, now, facts: unpinnable });
        if (await repo.deletePin(trx, conversationId, messageId)) {
          await appendEvent(trx, changes, { conversationId, type: 'message.unpinned', actorId: actor.userId, data: { messageId }, now });
          await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'message.unpinned', targetType: 'message', targetId: messageId, data: { senderId: message!.sender_id }, now });
        }
      });
    },

    async pins(actor: Actor, conversationId: string): Promise<Message[]> {
      await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
      return toMessages(kysely, await repo.pinnedMessages(kysely, conversationId));
    },

    async history(actor: Actor, conversationId: string, page: { before?: number | undefined; after?: number | undefined; limit?: number | undefined }): Promise<MessagesResponse> {
      const { membership } = await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
      const { rows: all, hasMore } = await repo.pageMessages(kysely, conversationId, {
        ...(page.before !== undefined ? { before: page.before } : {}),
        ...(page.after !== undefined ? { after: page.after } : {}),
        limit: page.limit ?? 50,
        floor: await repo.clearedSeq(kysely, actor.userId, conversationId),
      });
      // Deleted for this reader only: left out of their pages (the page may come out shorter; `hasMore` still says whether to page on).
      const hidden = await repo.hiddenFor(kysely, actor.userId, conversationId, all.map((row) => row.id));
      const rows = hidden.size === 0 ? all : all.filter((row) => !hidden.has(row.id));
      const [messages, mine] = await Promise.all([toMessages(kysely, rows), repo.myReactions(kysely, actor.userId, rows.map((message) => message.id))]);
      // Cut by size too (platform/page-budget.ts), keeping the end the reader pages on from:
      // the oldest of an `after` page, the newest of the latest page or of a `before` page.
      const { kept } = pageMaxBytes === undefined ? { kept: messages } : withinBytes(messages, pageMaxBytes, 1, page.after !== undefined ? 'start' : 'end');
      const keptIds = new Set(kept.map((message) => message.id));
      const myReactions = Object.fromEntries(Object.entries(mine).filter(([id]) => keptIds.has(id)));
      return { messages: kept, hasMore: hasMore || kept.length < messages.length, lastSeq: membership.last_seq, myReactions };
    },

    /**
     * Retention: deletes for everyone up to `limit` live messages of one conversation sent
     * before `cutoff` (oldest first), in one transaction, audited with how many and up to
     * when. Returns how many it deleted (fewer than `limit`: none are left).
     */
    async deleteExpired(conversationId: string, cutoff: number, limit: number, days: number): Promise<number> {
      return uow(async (trx, changes) => {
        const now = clock();
        if (!(await lockConversation(trx, db.dialect, conversationId))) return 0;
        const ids = await repo.expiredMessages(trx, conversationId, cutoff, limit);
        for (const id of ids) await deleteBySystem(trx, changes, conversationId, id, now);
        if (ids.length > 0) {
          await appendAudit(trx, { conversationId, actorId: null, action: 'retention.deleted', targetType: 'conversation', targetId: conversationId, data: { removed: ids.length, before: iso(cutoff), days }, now });
        }
        return ids.length;
      });
    },

    /** Platform moderation: deletes a user's messages (in one conversation or everywhere), in short transactions. */
    async adminRemoveUserMessages(userId: string, conversationId: string | undefined, reason: string | undefined): Promise<number> {
      let removed = 0;
      for (;;) {
        const batch = await repo.liveMessagesOf(kysely, userId, conversationId, REMOVAL_BATCH);
        if (batch.length === 0) break;
        const byConversation = new Map<string, string[]>();
        for (const { id, conversation_id } of batch) byConversation.set(conversation_id, [...(byConversation.get(conversation_id) ?? []), id]);
        for (const [target, ids] of byConversation) {
          await uow(async (trx, changes) => {
            const now = clock();
            if (!(await lockConversation(trx, db.dialect, target))) return;
            for (const messageId of ids) await deleteBySystem(trx, changes, target, messageId, now);
            removed += ids.length;
          });
        }
      }
      await uow(async (trx) => appendAudit(trx, { conversationId: conversationId ?? null, actorId: null, action: 'user.messages_removed', targetType: 'user', targetId: userId, reason: reason ?? null, data: { removed }, now: clock() }));
      return removed;
    },
  };
}
