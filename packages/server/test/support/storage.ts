import { sql } from 'kysely';
import type { TestApp } from './test-app.ts';

/**
 * Row counts of every table in the app's store: a test that must write nothing compares
 * two of these. Tables come from the catalog, so a table added later is counted too.
 */
export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const db = t.app.db;
  const tables = db.dialect === 'sqlite'
    ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db.kysely)).rows.map((row) => row.name)
    : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db.kysely)).rows.map((row) => row.name);
  const counts: Record<string, number> = {};
  for (const table of tables.sort()) {
    const row = (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db.kysely)).rows[0];
    counts[table] = Number(row?.n ?? 0);
  }
  return counts;
}
