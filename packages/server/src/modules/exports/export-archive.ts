import type { Executor } from '../../platform/db/index.ts';
import type { BlobStore } from '../../platform/blob/index.ts';
import { AppError } from '../../platform/errors.ts';
import { iso, isoOrNull } from '../../platform/time.ts';
import { END_OF_ARCHIVE, entryHeader, padding, smallEntry } from './tar-entries.ts';

/** Everything in the archive sits under this folder, so unpacking it makes one. */
export const ARCHIVE_ROOT = 'parley-export';

export interface ArchiveInput {
  db: Executor;
  store: BlobStore;
  userId: string;
  /** Messages read per query and written per file. */
  batch: number;
  now: number;
  /** Aborted when the node stops: the build ends between entries (the request stays pending). */
  signal: AbortSignal;
}

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');

const README = `This is your data from Parley, as JSON files and the files themselves.

profile.json          your account: handle, name, settings, devices, the people you blocked
conversations.json    the conversations you are in (and those you wrote in and left), with your own view of each
messages/<conversation id>/<n>.json
                      the messages you can read there, oldest first, in files of up to a few hundred:
                      everything in conversations you are in (except what you deleted for yourself),
                      only your own messages in conversations you left, and only your own in
                      conversations with protected content
files/<file id>/<name>
                      the files those messages carry, and your picture; a message's "attachments"
                      name the path of each

Times are UTC (ISO 8601). Messages deleted for everyone are not here: their text is gone.
`;

/** Folder-safe version of a file name already sanitized at upload (no slashes, no leading dot). */
const fileEntryName = (name: string) => name.replace(/[/\\\0]/g, '_').replace(/^\.+/, '_') || 'file';

/**
 * The export of one person's data as tar entries (see README above and docs/data.md): read
 * in bounded batches (conversations one at a time, messages `batch` at a time by seq), each
 * batch written as one JSON file followed by the files its messages carry, streamed from the
 * blob store. Memory stays at one batch plus the ids of the files written (each file once,
 * however many messages forward it).
 */
export async function* exportArchive({ db, store, userId, batch, now, signal }: ArchiveInput): AsyncGenerator<Buffer> {
  const check = () => {
    if (signal.aborted) throw new AppError('unavailable', 'The export was interrupted; it starts again.');
  };
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user || user.status === 'deleted') throw new AppError('not_found', 'User not found.');
  const written = new Set<string>();
  const root = ARCHIVE_ROOT;

  /** One stored file as an entry; files being scanned or deleted are skipped (their bytes are not to be handed out). */
  async function* file(uploadId: string): AsyncGenerator<Buffer> {
    if (written.has(uploadId)) return;
    written.add(uploadId);
    const row = await db.selectFrom('uploads').selectAll().where('id', '=', uploadId).executeTakeFirst();
    if (!row || row.purge_after !== null || row.scan_state === 'pending') return;
    let read;
    try {
      read = await store.read(row.blob_key);
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') return;
      throw error;
    }
    yield* entryHeader(`${root}/files/${row.id}/${fileEntryName(row.name)}`, read.info.size, row.created_at);
    let sent = 0;
    for await (const chunk of read.body as AsyncIterable<Buffer>) {
      sent += chunk.length;
      yield chunk;
    }
    if (sent !== read.info.size) throw new AppError('unavailable', 'A file changed while it was exported.');
    yield padding(sent);
  }
  const filePath = (id: string, name: string) => `files/${id}/${fileEntryName(name)}`;

  yield* smallEntry(`${root}/README.txt`, Buffer.from(README, 'utf8'), now);

  // --- profile -----------------------------------------------------------------------
  const sessions = await db.selectFrom('sessions').select(['device_name', 'created_at', 'last_used_at', 'revoked_at', 'push_platform']).where('user_id', '=', userId).orderBy('created_at').execute();
  const blocks = await db.selectFrom('blocks').select(['blocked_id', 'created_at']).where('blocker_id', '=', userId).orderBy('created_at').execute();
  const avatar = user.avatar_id ? await db.selectFrom('uploads').select(['id', 'name']).where('id', '=', user.avatar_id).executeTakeFirst() : undefined;
  yield* smallEntry(`${root}/profile.json`, json({
    exportedAt: iso(now),
    user: {
      id: user.id, handle: user.handle, displayName: user.display_name, status: user.status, createdAt: iso(user.created_at),
      addPrivacy: user.add_privacy, presencePrivacy: user.presence_privacy ?? null, lastSeenAt: isoOrNull(user.last_seen_at ?? null),
      picture: avatar ? filePath(avatar.id, avatar.name) : null,
    },
    devices: sessions.map((row) => ({ name: row.device_name, createdAt: iso(row.created_at), lastUsedAt: iso(row.last_used_at), signedOutAt: isoOrNull(row.revoked_at), push: row.push_platform ?? null })),
    blocked: blocks.map((row) => ({ userId: row.blocked_id, since: iso(row.created_at) })),
  }), now);
  if (avatar) yield* file(avatar.id);

  // --- conversations -----------------------------------------------------------------
  const memberships = await db
    .selectFrom('members as mb')
    .innerJoin('conversations as c', 'c.id', 'mb.conversation_id')
    .select(['c.id', 'c.kind', 'c.visibility', 'c.title', 'c.description', 'c.handle', 'c.created_at', 'c.protected_content', 'c.member_count', 'c.direct_key',
      'mb.role', 'mb.joined_at', 'mb.archived_at', 'mb.pinned_at', 'mb.marked_unread', 'mb.cleared_seq', 'mb.muted_until'])
    .where('mb.user_id', '=', userId)
    .orderBy('c.id')
    .execute();
  const memberOf = new Set(memberships.map((row) => row.id));
  // Conversations they wrote in and are no longer in: their own messages there are theirs too.
  const wroteIn = await db.selectFrom('messages').select('conversation_id').distinct().where('sender_id', '=', userId).where('deleted_at', 'is', null).execute();
  const leftIds = wroteIn.map((row) => row.conversation_id).filter((id) => !memberOf.has(id)).sort();
  const left = leftIds.length === 0 ? [] : await db.selectFrom('conversations').select(['id', 'kind', 'title', 'handle', 'protected_content']).where('id', 'in', leftIds).execute();
  const peerIds = memberships.filter((row) => row.direct_key).map((row) => row.direct_key!.split(' ').find((id) => id !== userId) ?? userId);
  const peers = new Map(peerIds.length === 0 ? [] : (await db.selectFrom('users').select(['id', 'display_name', 'handle']).where('id', 'in', peerIds).execute()).map((row) => [row.id, row]));
  yield* smallEntry(`${root}/conversations.json`, json([
    ...memberships.map((row) => {
      const peerId = row.direct_key ? (row.direct_key.split(' ').find((id) => id !== userId) ?? userId) : null;
      const peer = peerId ? peers.get(peerId) : undefined;
      return {
        id: row.id, kind: row.kind, visibility: row.visibility, title: row.title, description: row.description, handle: row.handle,
        with: peer ? { userId: peer.id, displayName: peer.display_name, handle: peer.handle } : null,
        createdAt: iso(row.created_at), memberCount: row.member_count, protectedContent: row.protected_content === 1,
        member: true, role: row.role, joinedAt: iso(row.joined_at), mutedUntil: isoOrNull(row.muted_until),
        archived: row.archived_at != null, pinned: row.pinned_at != null, markedUnread: row.marked_unread === 1,
        messages: `messages/${row.id}/`,
      };
    }),
    ...left.map((row) => ({ id: row.id, kind: row.kind, title: row.title, handle: row.handle, member: false, messages: `messages/${row.id}/` })),
  ]), now);

  // --- messages, conversation by conversation, batch by batch --------------------------
  const names = new Map<string, string>();
  const conversations = [
    ...memberships.map((row) => ({ id: row.id, onlyOwn: row.protected_content === 1, clearedSeq: row.cleared_seq ?? 0 })),
    ...left.map((row) => ({ id: row.id, onlyOwn: true, clearedSeq: 0 })),
  ];
  for (const conversation of conversations) {
    let afterSeq = conversation.clearedSeq;
    for (let part = 1; ; part++) {
      check();
      let query = db
        .selectFrom('messages as m')
        .selectAll('m')
        .where('m.conversation_id', '=', conversation.id)
        .where('m.seq', '>', afterSeq)
        .where('m.deleted_at', 'is', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('hidden_messages as h').select('h.message_id').whereRef('h.message_id', '=', 'm.id').where('h.user_id', '=', userId))))
        .orderBy('m.seq')
        .limit(batch);
      if (conversation.onlyOwn) query = query.where('m.sender_id', '=', userId);
      const rows = await query.execute();
      if (rows.length === 0) break;
      afterSeq = rows.at(-1)!.seq;
      const unknown = [...new Set(rows.map((row) => row.sender_id))].filter((id) => !names.has(id));
      if (unknown.length > 0) for (const row of await db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', unknown).execute()) names.set(row.id, row.display_name);
      const files = await db
        .selectFrom('message_files as f')
        .innerJoin('uploads as u', 'u.id', 'f.upload_id')
        .select(['f.message_id', 'f.upload_id', 'f.position', 'u.name', 'u.content_type', 'u.size', 'u.kind'])
        .where('f.message_id', 'in', rows.map((row) => row.id))
        .orderBy('f.message_id')
        .orderBy('f.position')
        .execute();
      const filesOf = new Map<string, typeof files>();
      for (const row of files) filesOf.set(row.message_id, [...(filesOf.get(row.message_id) ?? []), row]);
      yield* smallEntry(`${root}/messages/${conversation.id}/${String(part).padStart(4, '0')}.json`, json(rows.map((row) => ({
        id: row.id, seq: row.seq, from: { userId: row.sender_id, displayName: names.get(row.sender_id) ?? null, you: row.sender_id === userId },
        text: row.text, createdAt: iso(row.created_at), editedAt: isoOrNull(row.edited_at), replyTo: row.reply_to,
        forwardedFrom: row.forwarded_from ? JSON.parse(row.forwarded_from) : null,
        attachments: (filesOf.get(row.id) ?? []).map((f) => ({ id: f.upload_id, name: f.name, type: f.content_type, kind: f.kind, size: f.size, path: filePath(f.upload_id, f.name) })),
      }))), now);
      for (const row of files) yield* file(row.upload_id);
      if (rows.length < batch) break;
    }
  }
  yield END_OF_ARCHIVE;
}
