import type { Kysely } from 'kysely';

// Receipts (delivered pointers), presence privacy and last seen, push tokens per device.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Highest seq that reached any of the member's devices; read_seq implies delivery, so readers take the max of both.
  await db.schema.alterTable('members').addColumn('delivered_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  // "Read by" counts and view counts scan one conversation's members by read pointer.
  await db.schema.createIndex('members_conversation_read_idx').on('members').columns(['conversation_id', 'read_seq']).execute();

  await db.schema.alterTable('users').addColumn('presence_privacy', 'text', (c) => c.notNull().defaultTo('everyone')).execute();
  // Written when the user goes offline; the presence store has the fresher value while it remembers it.
  await db.schema.alterTable('users').addColumn('last_seen_at', 'bigint').execute();

  await db.schema.alterTable('sessions').addColumn('push_platform', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('push_token', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('push_updated_at', 'bigint').execute();
  // A token belongs to one device session at a time: registering it again moves it.
  await db.schema.createIndex('sessions_push_token_idx').on('sessions').column('push_token').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('sessions_push_token_idx').execute();
  for (const column of ['push_updated_at', 'push_token', 'push_platform']) await db.schema.alterTable('sessions').dropColumn(column).execute();
  for (const column of ['last_seen_at', 'presence_privacy']) await db.schema.alterTable('users').dropColumn(column).execute();
  await db.schema.dropIndex('members_conversation_read_idx').execute();
  await db.schema.alterTable('members').dropColumn('delivered_seq').execute();
}
