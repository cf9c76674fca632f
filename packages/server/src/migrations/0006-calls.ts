import type { Kysely } from 'kysely';

// Calls: one row per call, one per person rung or joined. The conversation log has every
// step as an event; these rows are the state that decides the next step (who may accept,
// whether the ring ran out, who is in), read and changed under the conversation lock.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('caller_id', 'text', (c) => c.notNull())
    // The caller's device session: its socket going away while it rings cancels the ring.
    .addColumn('caller_device', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('ring_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('answered_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('end_reason', 'text')
    // The media backend's room (group calls through an SFU); null for peer-to-peer calls.
    .addColumn('room', 'text')
    .execute();
  // One call going on per conversation; the sweep finds rings that ran out.
  await db.schema.createIndex('calls_conversation_state_idx').on('calls').columns(['conversation_id', 'state']).execute();
  await db.schema.createIndex('calls_state_ring_idx').on('calls').columns(['state', 'ring_expires_at']).execute();
  await db.schema.createIndex('calls_room_idx').on('calls').column('room').execute();

  await db.schema
    .createTable('call_participants')
    .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    // The device session that answered or joined: signaling goes to it alone.
    .addColumn('device', 'text')
    .addColumn('joined_at', 'bigint')
    .addColumn('left_at', 'bigint')
    // Set while the device in the call has no socket; past the grace the sweep lets them go.
    .addColumn('disconnected_at', 'bigint')
    .addPrimaryKeyConstraint('call_participants_pk', ['call_id', 'user_id'])
    .execute();
  // "Is this user in a call already?" (busy) and "what rings for me?".
  await db.schema.createIndex('call_participants_user_state_idx').on('call_participants').columns(['user_id', 'state']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('call_participants').execute();
  await db.schema.dropTable('calls').execute();
}
