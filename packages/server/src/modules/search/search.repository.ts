import { type RawBuilder, sql } from 'kysely';
import type { Dialect, Executor } from '../../platform/db/index.ts';
import { conversationToken, fts5Match, type QueryTerm } from '../search-index/index.ts';

/** Conversations a SQLite search lists in its FTS5 query at most; a member of more is searched without the narrowing. */
const MAX_LISTED_CONVERSATIONS = 1000;

export interface MessageQuery {
  userId: string;
  terms: readonly QueryTerm[];
  conversationId?: string | undefined;
  senderId?: string | undefined;
  /** Epoch ms, inclusive. */
  from?: number | undefined;
  /** Epoch ms, exclusive. */
  to?: number | undefined;
  /** Only messages carrying files, or whose text links somewhere. */
  has?: 'attachment' | 'link' | undefined;
  /** Newest matches ranked at most. */
  candidates: number;
}

export interface Candidate {
  message_id: string;
  created_at: number;
  /** Higher is better on both stores. */
  score: number;
}

/**
 * What the searching user may read, written once for both stores: conversations they are
 * a member of now (a member who left reads nothing more), messages not deleted, after the
 * history they cleared for themselves, and not deleted for them one by one. History before
 * joining is readable to members (docs/protocol.md, `conversation.added`), so it is searchable
 * too. `d` is the search document, `mb` the membership, `m` the message.
 */
const readable = (userId: string) => sql`m.deleted_at is null and m.seq > mb.cleared_seq
  and not exists (select 1 from hidden_messages h where h.user_id = ${userId} and h.message_id = d.message_id)`;

function filters(query: MessageQuery): RawBuilder<unknown> {
  const parts = [sql`true`];
  if (query.conversationId !== undefined) parts.push(sql`d.conversation_id = ${query.conversationId}`);
  if (query.senderId !== undefined) parts.push(sql`d.sender_id = ${query.senderId}`);
  if (query.from !== undefined) parts.push(sql`d.created_at >= ${query.from}`);
  if (query.to !== undefined) parts.push(sql`d.created_at < ${query.to}`);
  // A message's files are on its row until it is deleted (a forward's too); links are marked on its document when indexed.
  if (query.has === 'attachment') parts.push(sql`m.attachments is not null`);
  if (query.has === 'link') parts.push(sql`d.has_link = 1`);
  return sql.join(parts, sql` and `);
}

/**
 * At most `candidates` readable matches with their scores, ranked by the caller. PostgreSQL
 * takes the newest (the rank is computed for those only). SQLite with the conversations
 * listed takes the best by bm25 (the words and conversations intersected inside FTS5 are
 * few, and FTS5 reads them fastest in ascending rowid order, which a newest-first order
 * would undo); a member of too many conversations to list gets the newest, read newest
 * first, which stops early.
 */
export async function matchMessages(db: Executor, dialect: Dialect, language: string, query: MessageQuery): Promise<Candidate[]> {
  // The searcher's conversations, listed in the query when they are not too many: each
  // engine then narrows to them inside its index (SQLite: FTS5 intersects the word lists
  // with theirs; PostgreSQL: the planner sees which conversations and how big they are)
  // instead of reading every match and dropping the unreadable ones after. The membership
  // join stays either way: it, not this list, decides what is readable.
  const conversations = query.conversationId !== undefined
    ? [query.conversationId]
    : (await db.selectFrom('members').select('conversation_id').where('user_id', '=', query.userId).limit(MAX_LISTED_CONVERSATIONS + 1).execute()).map((row) => row.conversation_id);
  if (conversations.length === 0) return [];
  const listed = conversations.length <= MAX_LISTED_CONVERSATIONS;
  if (dialect === 'postgres') {
    // Each word: its stemmed form in the configured language OR the word as typed
    // (`simple`); each CJK run: its characters in a row. All passed as values, never syntax.
    const parts = query.terms.map((term) => term.kind === 'word'
      ? sql`(plainto_tsquery(${language}::regconfig, ${term.text}) || plainto_tsquery('simple', ${term.text}))`
      : sql`phraseto_tsquery('simple', ${term.chars.join(' ')})`);
    const tsquery = sql.join(parts, sql` && `);
    const { rows } = await sql<Candidate>`
      with q as (select ${tsquery} as query)
      select d.message_id, d.created_at, ts_rank(d.document, q.query) as score
      from q, message_search_docs d
      join members mb on mb.conversation_id = d.conversation_id and mb.user_id = ${query.userId}
      join messages m on m.id = d.message_id
      where d.document @@ q.query and ${listed ? sql`d.conversation_id = any(${conversations}::text[])` : sql`true`}
        and ${readable(query.userId)} and ${filters(query)}
      order by d.created_at desc
      limit ${query.candidates}`.execute(db);
    return rows.map((row) => ({ message_id: row.message_id, created_at: Number(row.created_at), score: Number(row.score) }));
  }
  const words = `body : (${fts5Match(query.terms)})`;
  const match = !listed ? words : `${words} AND conv : (${conversations.map((id) => `"${conversationToken(id)}"`).join(' OR ')})`;
  const { rows } = await sql<Candidate>`
    select d.message_id, d.created_at, -bm25(message_fts, 1.0, 0.0) as score
    from message_fts f
    join message_search_docs d on d.doc_id = f.rowid
    join members mb on mb.conversation_id = d.conversation_id and mb.user_id = ${query.userId}
    join messages m on m.id = d.message_id
    where message_fts match ${match} and ${readable(query.userId)} and ${filters(query)}
    ${listed ? sql`order by score desc` : sql`order by f.rowid desc`}
    limit ${query.candidates}`.execute(db);
  return rows.map((row) => ({ message_id: row.message_id, created_at: Number(row.created_at), score: Number(row.score) }));
}

/** Terms of a scope starting with `prefix`, up to `limit` (byte order on both stores, so the primary key serves it). */
export async function termsStartingWith(db: Executor, scope: 'user' | 'conversation', prefix: string, limit: number): Promise<Array<{ term: string; ref_id: string }>> {
  return db
    .selectFrom('search_terms')
    .select(['term', 'ref_id'])
    .where('scope', '=', scope)
    .where('term', '>=', prefix)
    .where('term', '<', `${prefix}\u{10FFFF}`)
    .orderBy('term')
    .limit(limit)
    .execute();
}

/** Of the users found, those the searcher may be shown: active accounts with no block either way. */
export async function visibleUsers(db: Executor, searcherId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('users as u')
    .select(['u.id', 'u.handle', 'u.display_name', 'u.status', 'u.add_privacy'])
    .where('u.id', 'in', ids)
    .where('u.status', '=', 'active')
    .where((eb) => eb.not(eb.exists(
      eb.selectFrom('blocks as b').select('b.blocker_id').where((w) => w.or([
        w.and([w('b.blocker_id', '=', w.ref('u.id')), w('b.blocked_id', '=', searcherId)]),
        w.and([w('b.blocker_id', '=', searcherId), w('b.blocked_id', '=', w.ref('u.id'))]),
      ])),
    )))
    .execute();
}

/** Of the conversations found, public groups and channels and those the searcher is a member of, with whether they are. */
export async function visibleConversations(db: Executor, searcherId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('conversations as c')
    .leftJoin('members as mb', (join) => join.onRef('mb.conversation_id', '=', 'c.id').on('mb.user_id', '=', searcherId))
    .selectAll('c')
    .select('mb.user_id as member_id')
    .where('c.id', 'in', ids)
    .where('c.kind', '!=', 'direct')
    .where((eb) => eb.or([eb('c.visibility', '=', 'public'), eb('mb.user_id', 'is not', null)]))
    .execute();
}
