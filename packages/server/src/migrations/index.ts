import type { Migration, MigrationProvider } from 'kysely/migration';
import * as initial from './0001-initial.ts';
import * as governance from './0002-governance.ts';
import * as realtime from './0003-realtime.ts';
import * as media from './0004-media.ts';
import * as push from './0005-push.ts';
import * as calls from './0006-calls.ts';
import * as search from './0007-search.ts';
import * as dataExports from './0010-exports.ts';
import * as resumableUploads from './0012-resumable-uploads.ts';
import * as searchTermsByRef from './0013-search-terms-by-ref.ts';

/** Migrations are bundled in code (not read from disk) so the built server and the sources run the same list. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-governance': governance,
  '0003-realtime': realtime,
  '0004-media': media,
  '0005-push': push,
  '0006-calls': calls,
  '0007-search': search,
  '0010-exports': dataExports,
  '0012-resumable-uploads': resumableUploads,
  '0013-search-terms-by-ref': searchTermsByRef,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** The newest by name: Kysely runs them in name order, whatever the order above. */
export const latestMigration = Object.keys(migrations).sort().at(-1)!;
