import type { Kysely } from 'kysely';

// Files (issue 15): uploads, the messages that carry them, avatars and conversation photos.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('blob_key', 'text', (c) => c.notNull())
    // Null: the server could not make a preview (not an image, or one it cannot decode).
    .addColumn('thumbnail_key', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('duration_ms', 'bigint')
    .addColumn('waveform', 'text')
    .addColumn('thumbnail_width', 'integer')
    .addColumn('thumbnail_height', 'integer')
    // 'none' (no scanner configured), 'pending' (not served), 'clean'.
    .addColumn('scan_state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Set while nothing uses the upload: the sweep deletes it after this time. Null once used.
    .addColumn('expires_at', 'bigint')
    // Set when the last use went away (message deleted for everyone, avatar replaced): the sweep deletes it after the grace.
    .addColumn('purge_after', 'bigint')
    .execute();
  await db.schema.createIndex('uploads_owner_idx').on('uploads').column('owner_id').execute();
  await db.schema.createIndex('uploads_expires_idx').on('uploads').column('expires_at').execute();
  await db.schema.createIndex('uploads_purge_idx').on('uploads').column('purge_after').execute();

  // Which messages carry which files: a send claims an unused upload, a forward shares it.
  // Who may fetch a file follows these rows (a member of a conversation with a live message carrying it).
  await db.schema
    .createTable('message_files')
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id'))
    .addColumn('upload_id', 'text', (c) => c.notNull().references('uploads.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_files_pk', ['message_id', 'upload_id'])
    .execute();
  await db.schema.createIndex('message_files_upload_idx').on('message_files').column('upload_id').execute();
  await db.schema.createIndex('message_files_conversation_idx').on('message_files').column('conversation_id').execute();

  // The attachments as the wire shows them (JSON array), written once with the message.
  await db.schema.alterTable('messages').addColumn('attachments', 'text').execute();
  await db.schema.alterTable('users').addColumn('avatar_id', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('photo_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').dropColumn('photo_id').execute();
  await db.schema.alterTable('users').dropColumn('avatar_id').execute();
  await db.schema.alterTable('messages').dropColumn('attachments').execute();
  await db.schema.dropTable('message_files').execute();
  await db.schema.dropTable('uploads').execute();
}
