import { CompiledQuery, sql } from 'kysely';
import { type Dialect, preparedInsert, type Tx } from '../../platform/db/index.ts';
import { hasLinks } from '../../platform/links.ts';
import { conversationToken, documentText } from '../../platform/search-text.ts';

/** What the index needs of a message. */
export interface IndexedMessage {
  id: string;
  conversation_id: string;
  sender_id: string;
  created_at: number;
  text: string | null;
}

/**
 * Keeps the message search index in step with `messages`, inside the transaction that
 * changes the message: a send indexes it, an edit re-indexes it, a delete (for everyone,
 * by anyone, or by retention) takes it out. Search never sees a message its transaction
 * did not commit, nor one whose deletion committed.
 */
export interface MessageIndex {
  /** Indexes a message, or re-indexes it with its current text; a message without text is taken out. */
  put(trx: Tx, message: IndexedMessage): Promise<void>;
  /** `put` for a message being created in this transaction (it has no document yet): writes only, nothing read back. */
  add(trx: Tx, message: IndexedMessage): Promise<void>;
  remove(trx: Tx, messageId: string): Promise<void>;
}

/**
 * PostgreSQL: a `tsvector` of the text stemmed in `language` joined with the same text under
 * `simple` (no stemming, no stop words), so a query matches either a stemmed form or the word
 * as typed — names, other languages and stop words still match exactly. SQLite: an FTS5 row
 * (porter stemming over unicode61) keyed by the document's integer id.
 */
/** A new message's document row on SQLite (its `doc_id` is taken by the insert), compiled once: the send writes one each. */
const insertDocument = preparedInsert('message_search_docs', ['message_id', 'conversation_id', 'sender_id', 'created_at', 'has_link']);
const INSERT_FTS_ROW = 'insert into message_fts (rowid, body, conv) values (last_insert_rowid(), ?, ?)';

export function createMessageIndex(dialect: Dialect, language: string): MessageIndex {
  if (dialect === 'postgres') {
    return {
      async put(trx, message) {
        if (message.text === null) return this.remove(trx, message.id);
        const body = documentText(message.text);
        await sql`insert into message_search_docs (message_id, conversation_id, sender_id, created_at, has_link, document)
          values (${message.id}, ${message.conversation_id}, ${message.sender_id}, ${message.created_at}, ${hasLinks(message.text) ? 1 : 0},
            to_tsvector(${language}::regconfig, ${body}) || to_tsvector('simple', ${body}))
          on conflict (message_id) do update set document = excluded.document, has_link = excluded.has_link`.execute(trx);
      },
      async remove(trx, messageId) {
        await trx.deleteFrom('message_search_docs').where('message_id', '=', messageId).execute();
      },
      add(trx, message) {
        return this.put(trx, message);
      },
    };
  }
  const remove = async (trx: Tx, messageId: string) => {
    const doc = await trx.deleteFrom('message_search_docs').where('message_id', '=', messageId).returning('doc_id').executeTakeFirst();
    if (doc) await sql`delete from message_fts where rowid = ${doc.doc_id}`.execute(trx);
  };
  return {
    async put(trx, message) {
      await remove(trx, message.id);
      if (message.text === null) return;
      const { doc_id } = await trx
        .insertInto('message_search_docs')
        .values({ message_id: message.id, conversation_id: message.conversation_id, sender_id: message.sender_id, created_at: message.created_at, has_link: hasLinks(message.text) ? 1 : 0 })
        .returning('doc_id')
        .executeTakeFirstOrThrow();
      await sql`insert into message_fts (rowid, body, conv) values (${doc_id}, ${documentText(message.text)}, ${conversationToken(message.conversation_id)})`.execute(trx);
    },
    async add(trx, message) {
      if (message.text === null) return;
      const document = { message_id: message.id, conversation_id: message.conversation_id, sender_id: message.sender_id, created_at: message.created_at, has_link: hasLinks(message.text) ? 1 : 0 };
      await trx.executeQuery(insertDocument('sqlite', trx, document));
      // doc_id is the rowid the insert just took (an INTEGER PRIMARY KEY): no need to read it back.
      await trx.executeQuery(CompiledQuery.raw(INSERT_FTS_ROW, [documentText(message.text), conversationToken(message.conversation_id)]));
    },
    remove,
  };
}
