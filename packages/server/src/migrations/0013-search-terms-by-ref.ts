import type { Kysely } from 'kysely';

// Reading a user's or a conversation's own search terms (to replace them on a rename) went
// through the primary key (scope, term, ref_id) on SQLite: it covers the query, so the
// planner preferred it to (scope, ref_id) and read every term of the scope, O(users) per
// rename (0.4 ms each at 5,000 users). With term in it, the ref index covers the query
// too and wins on its two equalities.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('search_terms_ref_idx').execute();
  await db.schema.createIndex('search_terms_ref_idx').on('search_terms').columns(['scope', 'ref_id', 'term']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('search_terms_ref_idx').execute();
  await db.schema.createIndex('search_terms_ref_idx').on('search_terms').columns(['scope', 'ref_id']).execute();
}
