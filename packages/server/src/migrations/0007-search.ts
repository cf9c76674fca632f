import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { conversationToken, documentText, nameTerms } from '../platform/search-text.ts';

/**
 * Search and the per-user conversation state of issue 20.
 *
 * - `message_search_docs`: one row per live (not deleted) message with what search filters
 *   on. PostgreSQL keeps the `tsvector` there (GIN index); SQLite keeps it in the FTS5 table
 *   `message_fts`, whose rowid is `doc_id` (an INTEGER PRIMARY KEY, so VACUUM keeps it —
 *   the rowid of `messages` itself would not survive one).
 * - `search_terms`: the words of user names and handles and of conversation titles and
 *   handles, one row each, for prefix and typo-tolerant lookups on both stores.
 * - `members`: archived, pinned, marked unread, history cleared up to a seq ("delete for
 *   me" of everything so far); `hidden_messages`: single messages deleted for one user.
 * - `conversations.retention_days`: the conversation's retention (null: the server's default).
 *
 * Existing data is indexed here, in batches. PostgreSQL documents are stemmed as English
 * by this migration (`SEARCH_LANGUAGE`'s default); see docs/data.md.
 */
const BATCH = 1000;

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  if (postgres) {
    await db.schema
      .createTable('message_search_docs')
      .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.id').onDelete('cascade'))
      .addColumn('conversation_id', 'text', (c) => c.notNull())
      .addColumn('sender_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('document', sql`tsvector`, (c) => c.notNull())
      .execute();
    await sql`create index message_search_docs_document_idx on message_search_docs using gin (document)`.execute(db);
  } else {
    await db.schema
      .createTable('message_search_docs')
      .addColumn('doc_id', 'integer', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull().unique().references('messages.id').onDelete('cascade'))
      .addColumn('conversation_id', 'text', (c) => c.notNull())
      .addColumn('sender_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    // Contentless: the text is in `messages` already; the index keeps only what it needs to
    // match and rank. contentless_delete lets edits and deletes remove a row's terms. `conv`
    // holds one token for the conversation, so a search narrows to the searcher's
    // conversations inside the index instead of reading every match (see search.repository.ts).
    await sql`create virtual table message_fts using fts5(body, conv, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2')`.execute(db);
  }
  await db.schema.createIndex('message_search_docs_conversation_idx').on('message_search_docs').columns(['conversation_id', 'created_at']).execute();

  // Byte order ("C") on PostgreSQL, as SQLite compares: a prefix is then a range the index serves.
  await db.schema
    .createTable('search_terms')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('term', postgres ? sql`text collate "C"` : 'text', (c) => c.notNull())
    .addColumn('ref_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('search_terms_pk', ['scope', 'term', 'ref_id'])
    .execute();
  await db.schema.createIndex('search_terms_ref_idx').on('search_terms').columns(['scope', 'ref_id']).execute();

  await db.schema.alterTable('members').addColumn('archived_at', 'bigint').execute();
  await db.schema.alterTable('members').addColumn('pinned_at', 'bigint').execute();
  await db.schema.alterTable('members').addColumn('marked_unread', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('members').addColumn('cleared_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('hidden_messages')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('hidden_messages_pk', ['user_id', 'message_id'])
    .execute();
  await db.schema.createIndex('hidden_messages_conversation_idx').on('hidden_messages').columns(['user_id', 'conversation_id']).execute();

  // Retention: messages older than this many days are deleted for everyone (null: the server default).
  await db.schema.alterTable('conversations').addColumn('retention_days', 'integer').execute();

  await backfillMessages(db, postgres);
  await backfillTerms(db);
}

async function backfillMessages(db: Kysely<any>, postgres: boolean): Promise<void> {
  let after = '';
  for (;;) {
    const rows: Array<{ id: string; conversation_id: string; sender_id: string; created_at: number; text: string }> = await db
      .selectFrom('messages')
      .select(['id', 'conversation_id', 'sender_id', 'created_at', 'text'])
      .where('deleted_at', 'is', null)
      .where('text', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return;
    for (const row of rows) {
      const body = documentText(row.text);
      if (postgres) {
        await sql`insert into message_search_docs (message_id, conversation_id, sender_id, created_at, document)
          values (${row.id}, ${row.conversation_id}, ${row.sender_id}, ${row.created_at}, to_tsvector('english', ${body}) || to_tsvector('simple', ${body}))`.execute(db);
      } else {
        const { doc_id } = await db.insertInto('message_search_docs').values({ message_id: row.id, conversation_id: row.conversation_id, sender_id: row.sender_id, created_at: row.created_at }).returning('doc_id').executeTakeFirstOrThrow();
        await sql`insert into message_fts (rowid, body, conv) values (${doc_id}, ${body}, ${conversationToken(row.conversation_id)})`.execute(db);
      }
    }
    after = rows.at(-1)!.id;
  }
}

async function backfillTerms(db: Kysely<any>): Promise<void> {
  for (const [table, scope, columns] of [['users', 'user', ['handle', 'display_name']], ['conversations', 'conversation', ['handle', 'title']]] as const) {
    let after = '';
    for (;;) {
      const rows: Array<Record<string, string | null>> = await db.selectFrom(table).select(['id', ...columns]).where('id', '>', after).orderBy('id').limit(BATCH).execute();
      if (rows.length === 0) break;
      const values = rows.flatMap((row) => nameTerms(...columns.map((column) => row[column] ?? null)).map((term) => ({ scope, term, ref_id: row.id! })));
      if (values.length > 0) await db.insertInto('search_terms').values(values).onConflict((c) => c.doNothing()).execute();
      after = rows.at(-1)!.id!;
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.alterTable('conversations').dropColumn('retention_days').execute();
  await db.schema.dropTable('hidden_messages').execute();
  for (const column of ['cleared_seq', 'marked_unread', 'pinned_at', 'archived_at']) await db.schema.alterTable('members').dropColumn(column).execute();
  await db.schema.dropTable('search_terms').execute();
  if (!postgres) await sql`drop table message_fts`.execute(db);
  await db.schema.dropTable('message_search_docs').execute();
}
