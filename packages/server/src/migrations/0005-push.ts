import type { Kysely } from 'kysely';

// Push notifications: the outbox and its per-device deliveries, users' choices, Web Push
// keys per device, and the users a message mentions.
export async function up(db: Kysely<unknown>): Promise<void> {
  // JSON array of user ids, or null for none: read with the message, never queried into.
  await db.schema.alterTable('messages').addColumn('mentions', 'text').execute();
  // A Web Push subscription's keys (JSON {p256dh, auth}); its endpoint is the push token.
  await db.schema.alterTable('sessions').addColumn('push_keys', 'text').execute();

  // One row per message that may notify, written in the message's own transaction (one cheap
  // insert); the worker expands it into deliveries, a page of recipients at a time.
  await db.schema
    .createTable('push_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Not before the online grace: who is online then gets nothing.
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    // Recipients are expanded in user id order; the last one done.
    .addColumn('cursor', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('claimed_until', 'bigint')
    .addColumn('claimed_by', 'text')
    .execute();
  await db.schema.createIndex('push_outbox_due_idx').on('push_outbox').column('due_at').execute();

  // One row per (event, device): the key that makes a redelivered outbox row send nothing twice.
  await db.schema
    .createTable('push_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('keys', 'text')
    // JSON of what is shown (title, body, badge, data), decided once for the user.
    .addColumn('payload', 'text', (c) => c.notNull())
    // pending | sent | gone (dead token) | dead (gave up)
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_until', 'bigint')
    .addColumn('claimed_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('push_deliveries_event_device_idx').on('push_deliveries').columns(['event_key', 'session_id']).unique().execute();
  await db.schema.createIndex('push_deliveries_state_due_idx').on('push_deliveries').columns(['state', 'due_at']).execute();

  await db.schema
    .createTable('push_settings')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('previews', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('push_conversation_settings')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('muted_until', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('push_conversation_settings_pk', ['user_id', 'conversation_id'])
    .execute();
  // The worker reads one conversation's choices for a page of recipients.
  await db.schema.createIndex('push_conversation_settings_conv_idx').on('push_conversation_settings').columns(['conversation_id', 'user_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['push_conversation_settings', 'push_settings', 'push_deliveries', 'push_outbox']) await db.schema.dropTable(table).execute();
  await db.schema.alterTable('sessions').dropColumn('push_keys').execute();
  await db.schema.alterTable('messages').dropColumn('mentions').execute();
}
