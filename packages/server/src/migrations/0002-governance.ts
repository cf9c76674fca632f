import type { Kysely } from 'kysely';

// Conversation kinds and settings, roles with rights, moderation, invites, blocks,
// reactions, pins, reports and the audit log.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('visibility', 'text', (c) => c.notNull().defaultTo('private')).execute();
  await db.schema.alterTable('conversations').addColumn('handle', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('description', 'text').execute();
  // JSON array of rights; null: the kind's defaults.
  await db.schema.alterTable('conversations').addColumn('member_rights', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('slow_mode_sec', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('conversations').addColumn('protected_content', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('conversations').addColumn('join_approval', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('conversations_handle_uq').on('conversations').column('handle').unique().execute();

  // JSON array of custom rights (admins, moderators); null: the role's defaults.
  await db.schema.alterTable('members').addColumn('rights', 'text').execute();
  await db.schema.alterTable('members').addColumn('muted_until', 'bigint').execute();
  // Kept only while slow mode is on.
  await db.schema.alterTable('members').addColumn('last_sent_at', 'bigint').execute();
  await db.schema.createIndex('members_conversation_role_idx').on('members').columns(['conversation_id', 'role']).execute();

  await db.schema.alterTable('users').addColumn('add_privacy', 'text', (c) => c.notNull().defaultTo('everyone')).execute();

  await db.schema.alterTable('messages').addColumn('forwarded_from', 'text').execute();
  await db.schema.createIndex('messages_sender_idx').on('messages').columns(['sender_id', 'conversation_id']).execute();

  await db.schema
    .createTable('bans')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('until', 'bigint')
    .addColumn('reason', 'text')
    .addColumn('banned_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('bans_pk', ['conversation_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('invites')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('name', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('max_uses', 'integer')
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requires_approval', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('invites_conversation_idx').on('invites').column('conversation_id').execute();

  await db.schema
    .createTable('join_requests')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('invite_code', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('join_requests_pk', ['conversation_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('blocks')
    .addColumn('blocker_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('blocked_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blocks_pk', ['blocker_id', 'blocked_id'])
    .execute();
  await db.schema.createIndex('blocks_blocked_idx').on('blocks').columns(['blocked_id', 'blocker_id']).execute();

  await db.schema
    .createTable('reactions')
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('emoji', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('reactions_pk', ['message_id', 'emoji', 'user_id'])
    .execute();

  await db.schema
    .createTable('pins')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('pinned_by', 'text')
    .addColumn('pinned_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pins_pk', ['conversation_id', 'message_id'])
    .execute();

  await db.schema
    .createTable('reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reporter_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text')
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('action', 'text')
    .addColumn('note', 'text')
    .addColumn('resolved_by', 'text')
    .addColumn('resolved_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('reports_status_idx').on('reports').columns(['status', 'id']).execute();
  await db.schema.createIndex('reports_conversation_idx').on('reports').columns(['conversation_id', 'id']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_conversation_idx').on('audit_log').columns(['conversation_id', 'id']).execute();
  await db.schema.createIndex('audit_actor_idx').on('audit_log').columns(['actor_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'reports', 'pins', 'reactions', 'blocks', 'join_requests', 'invites', 'bans']) await db.schema.dropTable(table).execute();
}
