import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { hasPostgres, postgresUrl } from './services.ts';

/** A fresh, empty store for one test app, and how to throw it away. */
export interface Store {
  env: Record<string, string>;
  dataDir: string;
  dispose(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  create(): Promise<Store>;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'parley-test-'));
}

const sqlite: Backend = {
  name: 'sqlite',
  async create() {
    const dataDir = tempDir();
    return { env: { DATA_DIR: dataDir }, dataDir, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

/** Each store is its own database, created from the machine's server and dropped afterwards. */
const postgres: Backend = {
  name: 'postgres',
  async create() {
    const name = `parley_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    const dataDir = tempDir();
    return {
      env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
      dataDir,
      async dispose() {
        rmSync(dataDir, { recursive: true, force: true });
        const client = new pg.Client({ connectionString: postgresUrl });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
      },
    };
  },
};

/** Every storage backend reachable here: suites run once per entry. */
export const backends: Backend[] = hasPostgres ? [sqlite, postgres] : [sqlite];
export { postgres as postgresBackend, sqlite as sqliteBackend };
