import type SqliteDatabase from 'better-sqlite3';

const STATEMENT_CACHE_SIZE = 500;

/**
 * `prepare` with statements kept by SQL text, the least recently used dropped past the
 * bound: preparing a statement costs as much as running it (~14 % of a busy node's CPU when
 * every query was prepared anew), and queries come from a fixed set of shapes. Reuse is safe
 * because each statement runs to completion synchronously (`all`/`run`; `iterate` is not used).
 */
export function statementCache(database: SqliteDatabase.Database): (sql: string) => SqliteDatabase.Statement {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement) {
      statements.delete(sql);
    } else {
      statement = database.prepare(sql);
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
    }
    statements.set(sql, statement);
    return statement;
  };
}
