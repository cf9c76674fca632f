import type { ConversationSearchHit, SearchMessagesQuery, SearchMessagesResponse, User } from '@parley/protocol';
import { sql } from 'kysely';
import type { Database } from '../../platform/db/index.ts';
import { decodeCursor, encodeCursor } from '../../platform/cursor.ts';
import { AppError } from '../../platform/errors.ts';
import type { Actor } from '../auth/index.ts';
import { toPreview } from '../conversations/index.ts';
import { toMessages } from '../logs/index.ts';
import { contactsOf } from '../privacy/index.ts';
import { fold, queryTerms } from '../search-index/index.ts';
import { toUser } from '../users/index.ts';
import * as repo from './search.repository.ts';
import { snippet } from './snippet.ts';

export interface SearchDeps {
  db: Database;
  /** PostgreSQL text search configuration (SEARCH_LANGUAGE). */
  language: string;
  /** PostgreSQL statement_timeout of one message search. */
  timeoutMs: number;
  /** Newest matches ranked at most. */
  candidates: number;
}

export type SearchService = ReturnType<typeof createSearchService>;

const DEFAULT_PAGE = 20;
/** Words of a people or conversation query that count (all must match). */
const MAX_NAME_WORDS = 4;
/** Terms read per word: enough for the best matches, bounded on any directory size. */
const PREFIX_READ = 500;
const FUZZY_READ = 2000;

const isOffset = (value: unknown): value is { o: number } =>
  typeof value === 'object' && value !== null && Number.isSafeInteger((value as { o: unknown }).o) && (value as { o: number }).o > 0;

/** PostgreSQL's answer when statement_timeout cut a query short. */
const isQueryCanceled = (error: unknown) => (error as { code?: unknown })?.code === '57014';

/**
 * Optimal string alignment distance (edits, with a swap of neighbours as one), giving up
 * past `max`: small words, small bound, so this is cheap per term.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]![j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
      best = Math.min(best, value);
    }
    if (i > 0 && best > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

/** Typos forgiven in one word of a name query: none below four letters, one up to seven, two beyond. */
const typosAllowed = (word: string) => (word.length < 4 ? 0 : word.length < 8 ? 1 : 2);

export function createSearchService({ db, language, timeoutMs, candidates }: SearchDeps) {
  const kysely = db.kysely;

  async function matchMessages(query: repo.MessageQuery): Promise<repo.Candidate[]> {
    if (db.dialect !== 'postgres') return repo.matchMessages(kysely, db.dialect, language, query);
    try {
      return await kysely.transaction().execute(async (trx) => {
        // SET takes no parameters; the value is an integer from the configuration.
        await sql.raw(`set local statement_timeout = ${Math.floor(timeoutMs)}`).execute(trx);
        return repo.matchMessages(trx, db.dialect, language, query);
      });
    } catch (error) {
      if (isQueryCanceled(error)) throw new AppError('unavailable', 'The search took too long; add words or filters to narrow it.');
      throw error;
    }
  }

  /**
   * Refs (users or conversations) whose terms match every word of the query, with a score:
   * per word, 3 for a whole term, 2 for the start of one, 1 for one within the typos allowed.
   */
  async function matchNames(scope: 'user' | 'conversation', query: string): Promise<Map<string, number>> {
    const words = [...new Set(fold(query).match(/[\p{L}\p{N}\p{M}]+/gu) ?? [])].slice(0, MAX_NAME_WORDS);
    let scores = new Map<string, number>();
    let first = true;
    for (const word of words) {
      const found = new Map<string, number>();
      const score = (ref: string, value: number) => found.set(ref, Math.max(found.get(ref) ?? 0, value));
      for (const row of await repo.termsStartingWith(kysely, scope, word, PREFIX_READ)) score(row.ref_id, row.term === word ? 3 : 2);
      const typos = typosAllowed(word);
      if (typos > 0) {
        // A typo past the first two letters: terms sharing those, compared at the query's length (so "alcie" finds "alice").
        for (const row of await repo.termsStartingWith(kysely, scope, word.slice(0, 2), FUZZY_READ)) {
          if (found.has(row.ref_id)) continue;
          const distance = Math.min(...[0, -1, 1].map((delta) => editDistance(word, row.term.slice(0, word.length + delta), typos)));
          if (distance <= typos) score(row.ref_id, 1);
        }
      }
      const previous = scores;
      scores = first ? found : new Map([...found].filter(([ref]) => previous.has(ref)).map(([ref, value]) => [ref, value + previous.get(ref)!]));
      first = false;
      if (scores.size === 0) break;
    }
    return scores;
  }

  return {
    async messages(actor: Actor, input: SearchMessagesQuery): Promise<SearchMessagesResponse> {
      const terms = queryTerms(input.q);
      const limit = input.limit ?? DEFAULT_PAGE;
      const offset = input.cursor === undefined ? 0 : decodeCursor(input.cursor, isOffset).o;
      const from = input.after === undefined ? undefined : Date.parse(input.after);
      const to = input.before === undefined ? undefined : Date.parse(input.before);
      if (terms.length === 0 || offset >= candidates) return { results: [], nextCursor: null };
      const matches = await matchMessages({ userId: actor.userId, terms, conversationId: input.conversationId, senderId: input.senderId, from, to, has: input.has, candidates });
      matches.sort((a, b) => b.score - a.score || b.created_at - a.created_at || (a.message_id < b.message_id ? 1 : -1));
      const page = matches.slice(offset, offset + limit);
      if (page.length === 0) return { results: [], nextCursor: null };
      const rows = await kysely.selectFrom('messages').selectAll().where('id', 'in', page.map((match) => match.message_id)).execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      // A message deleted between the two reads is left out rather than shown without text.
      const live = page.map((match) => byId.get(match.message_id)).filter((row) => row !== undefined && row.deleted_at === null && row.text !== null);
      const messages = await toMessages(kysely, live as NonNullable<(typeof live)[number]>[]);
      return {
        results: messages.map((message) => ({ message, snippet: snippet(message.text!, terms) })),
        nextCursor: offset + limit < matches.length ? encodeCursor({ o: offset + limit }) : null,
      };
    },

    /**
     * People by handle or name. Blocks hide both ways; privacy follows the add setting: people
     * who let everyone add them are found by name, those who let contacts add them are found
     * by name by their contacts, and anyone is found by their exact handle (which
     * `GET /v1/users?handle=` answers anyway).
     */
    async users(actor: Actor, query: { q: string; limit?: number | undefined }): Promise<User[]> {
      const scores = await matchNames('user', query.q);
      scores.delete(actor.userId);
      const ranked = [...scores].sort((a, b) => b[1] - a[1]).slice(0, 200);
      const rows = await repo.visibleUsers(kysely, actor.userId, ranked.map(([id]) => id));
      const exactHandle = fold(query.q.trim()).replace(/^@/, '');
      const contacts = await contactsOf(kysely, actor.userId, rows.filter((row) => row.add_privacy === 'contacts').map((row) => row.id));
      const shown = rows.filter((row) => row.handle === exactHandle || row.add_privacy === 'everyone' || (row.add_privacy === 'contacts' && contacts.has(row.id)));
      shown.sort((a, b) => scores.get(b.id)! - scores.get(a.id)! || a.display_name.localeCompare(b.display_name) || (a.id < b.id ? -1 : 1));
      return shown.slice(0, query.limit ?? DEFAULT_PAGE).map((row) => toUser(row));
    },

    /** Public groups and channels, and the searcher's own groups and channels, by title or handle. */
    async conversations(actor: Actor, query: { q: string; limit?: number | undefined }): Promise<ConversationSearchHit[]> {
      const scores = await matchNames('conversation', query.q);
      const ranked = [...scores].sort((a, b) => b[1] - a[1]).slice(0, 200);
      const rows = await repo.visibleConversations(kysely, actor.userId, ranked.map(([id]) => id));
      rows.sort((a, b) => scores.get(b.id)! - scores.get(a.id)! || b.member_count - a.member_count || (a.id < b.id ? -1 : 1));
      return rows.slice(0, query.limit ?? DEFAULT_PAGE).map((row) => ({ conversation: toPreview(row), member: row.member_id !== null }));
    },
  };
}
