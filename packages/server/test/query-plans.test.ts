import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { nextSeqStatement } from '../src/modules/logs/conversation-log.repository.ts';
import { clientIdStatement } from '../src/modules/messages/messages.repository.ts';
import { membershipFactsStatement } from '../src/modules/policy/index.ts';
import { searchTermsOfQuery } from '../src/modules/search-index/search-terms.repository.ts';
import { type Database, openDatabase } from '../src/platform/db/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { sqliteBackend, type Store } from './support/backends.ts';

/**
 * SQLite plans without statistics (nothing runs ANALYZE), so an index that covers a query
 * can win over one that matches more of its key, and a join costs far more than the same
 * reads made one by one. The statements below run on every send, or once per row of a
 * table that grows with the users: each must reach its rows by key, never by scanning a
 * table or a range as wide as a whole scope.
 */
describe('query plans of the hot statements (embedded store)', () => {
  let store: Store;
  let db: Database;

  before(async () => {
    store = await sqliteBackend.create();
    db = await openDatabase({ databaseUrl: null, dataDir: store.dataDir, poolSize: 1, sqliteSynchronous: 'FULL', sqliteWriter: 'thread', logger: createLogger({ level: 'silent', nodeId: 'test' }) });
    // EXPLAIN runs nothing, so it plans on the schema its connection last read: a read makes
    // the reader connection see what the migrations (on the writer) created.
    await db.kysely.selectFrom('search_terms').select('term').limit(1).execute();
  });

  after(async () => {
    await db?.close();
    await store?.dispose();
  });

  async function plan(query: CompiledQuery): Promise<string[]> {
    const { rows } = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]));
    return rows.map((row) => row.detail);
  }

  /**
   * Plan lines that read a stored table other than by its whole key. `allowed` names the
   * lines that may read a range, with the reason in the caller; the facts' CTEs hold one
   * row each and may be scanned.
   */
  function scans(lines: string[], allowed: string[] = []): string[] {
    return lines.filter((line) => !allowed.includes(line) && (/^SCAN (?!(m|c|p)$)/.test(line) || /^SEARCH \S+ USING (COVERING )?INDEX \S+ \((scope|conversation_id)=\?\)$/.test(line)));
  }

  it('reads the membership facts of a send by key only', async () => {
    const lines = await plan(membershipFactsStatement(db.dialect, db.kysely, 'c', 'u'));
    // The direct peer: the members of the conversation, which has two (it is looked up only when the conversation is direct).
    assert.deepEqual(scans(lines, ['SEARCH members USING COVERING INDEX sqlite_autoindex_members_1 (conversation_id=?)']), [], lines.join('\n'));
    assert.ok(lines.some((line) => /SEARCH members USING INDEX \S+ \(conversation_id=\? AND user_id=\?\)/.test(line)), lines.join('\n'));
    assert.ok(lines.some((line) => /SEARCH conversations USING INDEX \S+ \(id=\?\)/.test(line)), lines.join('\n'));
    assert.ok(lines.some((line) => /SEARCH users USING INDEX \S+ \(id=\?\)/.test(line)), lines.join('\n'));
    assert.ok(lines.some((line) => /SEARCH b USING COVERING INDEX \S+ \(blocker_id=\? AND blocked_id=\?\)/.test(line)), lines.join('\n'));
    assert.equal(lines.some((line) => /\bJOIN\b/i.test(line)), false, 'no join between stored tables');
  });

  it('takes the seq and finds a retried send by key', async () => {
    for (const query of [nextSeqStatement(db.dialect, db.kysely, 'c', 1, 'm'), clientIdStatement(db.dialect, db.kysely, 'c', 'u', 'k')]) {
      const lines = await plan(query);
      assert.deepEqual(scans(lines), [], lines.join('\n'));
      assert.ok(lines.every((line) => line.startsWith('SEARCH ')), lines.join('\n'));
    }
  });

  it('reads the search terms of one user or conversation through the ref index, not every term of the scope', async () => {
    const lines = await plan(searchTermsOfQuery(db.kysely, 'user', 'u').compile());
    assert.deepEqual(lines, ['SEARCH search_terms USING COVERING INDEX search_terms_ref_idx (scope=? AND ref_id=?)']);
  });
});
