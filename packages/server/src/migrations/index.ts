import type { Migration, MigrationProvider } from 'kysely/migration';
import * as initial from './0001-initial.ts';

/** Migrations are bundled in code (not read from disk) so the built server and the sources run the same list. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export const latestMigration = Object.keys(migrations).at(-1)!;
