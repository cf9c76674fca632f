import type { Kysely } from 'kysely';

// Resumable uploads (tus 1.0, issue 15): a file sent in parts over several requests, which
// becomes an ordinary upload (`uploads`) once its last byte arrived.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('resumable_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // 'voice' for a recorded voice note, null otherwise (as `POST /v1/uploads?kind=`).
    .addColumn('kind', 'text')
    .addColumn('length', 'bigint', (c) => c.notNull())
    // Bytes stored so far, in parts; the next part must start here.
    .addColumn('received', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    // Set while one request turns the parts into the file, so two cannot both do it.
    .addColumn('finishing_until', 'bigint')
    // The upload the parts became; the parts are gone then.
    .addColumn('file_id', 'text')
    .execute();
  await db.schema.createIndex('resumable_uploads_owner_idx').on('resumable_uploads').column('owner_id').execute();
  await db.schema.createIndex('resumable_uploads_expires_idx').on('resumable_uploads').column('expires_at').execute();

  await db.schema
    .createTable('resumable_upload_parts')
    .addColumn('upload_id', 'text', (c) => c.notNull().references('resumable_uploads.id').onDelete('cascade'))
    .addColumn('start', 'bigint', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resumable_upload_parts_pk', ['upload_id', 'start'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('resumable_upload_parts').execute();
  await db.schema.dropTable('resumable_uploads').execute();
}
