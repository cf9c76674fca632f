import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../../server/test/support/backends.ts';

/**
 * Embedded storage only: the browser suite is about the client, and must not depend on
 * (or, with CI=true, fail over) the PostgreSQL the server suites check for at import.
 */
export const sqliteOnly: Backend = {
  name: 'sqlite',
  async create() {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-web-test-'));
    return { env: { DATA_DIR: dataDir }, dataDir, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};
