import type { Executor } from '../../platform/db/index.ts';
import { nameTerms } from '../../platform/search-text.ts';

/**
 * Replaces the words a user or a conversation is found by (people and conversation search),
 * in the caller's transaction or statement order: written wherever a name, title or handle
 * is written. Cheap when nothing changed (one read).
 */
export async function putSearchTerms(db: Executor, scope: 'user' | 'conversation', refId: string, ...texts: Array<string | null | undefined>): Promise<void> {
  const wanted = new Set(nameTerms(...texts));
  const current = new Set((await searchTermsOfQuery(db, scope, refId).execute()).map((row) => row.term));
  const gone = [...current].filter((term) => !wanted.has(term));
  const added = [...wanted].filter((term) => !current.has(term));
  if (gone.length > 0) await db.deleteFrom('search_terms').where('scope', '=', scope).where('ref_id', '=', refId).where('term', 'in', gone).execute();
  if (added.length > 0) await db.insertInto('search_terms').values(added.map((term) => ({ scope, term, ref_id: refId }))).onConflict((c) => c.doNothing()).execute();
}

/** The words one user or conversation is found by now (its own rows, by the ref index). */
export function searchTermsOfQuery(db: Executor, scope: 'user' | 'conversation', refId: string) {
  return db.selectFrom('search_terms').select('term').where('scope', '=', scope).where('ref_id', '=', refId);
}
