import type { Kysely } from 'kysely';
import { hasLinks } from '../platform/links.ts';

/**
 * Data exports (issue 20, item 5) and the `has=link` search filter.
 *
 * - `data_exports`: one row per requested export. The row is the request: the background job
 *   takes pending rows (and running ones whose lease ran out: a node that died mid-way) and
 *   builds the archive, so a restart loses nothing. The archive lives in the blob store
 *   under `blob_key` until `expires_at`.
 * - `message_search_docs.has_link`: whether the message's text links somewhere (the rule
 *   sending uses, `platform/links.ts`), kept with its search document; existing documents are
 *   marked here in batches.
 */
const BATCH = 1000;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('data_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('lease_until', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint')
    .addColumn('blob_key', 'text')
    .addColumn('size', 'bigint')
    .addColumn('sha256', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('data_exports_user_idx').on('data_exports').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('data_exports_state_idx').on('data_exports').columns(['state', 'created_at']).execute();

  await db.schema.alterTable('message_search_docs').addColumn('has_link', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  let after = '';
  for (;;) {
    const rows: Array<{ id: string; text: string | null }> = await db
      .selectFrom('message_search_docs as d')
      .innerJoin('messages as m', 'm.id', 'd.message_id')
      .select(['m.id', 'm.text'])
      .where('d.message_id', '>', after)
      .orderBy('d.message_id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    const linked = rows.filter((row) => row.text !== null && hasLinks(row.text)).map((row) => row.id);
    if (linked.length > 0) await db.updateTable('message_search_docs').set({ has_link: 1 }).where('message_id', 'in', linked).execute();
    after = rows.at(-1)!.id;
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('message_search_docs').dropColumn('has_link').execute();
  await db.schema.dropTable('data_exports').execute();
}
