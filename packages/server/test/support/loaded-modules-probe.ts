/**
 * Starts a node (SQLite in a temporary directory, configuration from the environment) and
 * prints, as the last line of stdout, the URL of every module loaded by then. Run in its own
 * process by tracing.test.ts: it proves that with tracing off no OpenTelemetry module loads.
 */
import { registerHooks } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
// CommonJS packages required from ESM ones pass the same hook.

const dataDir = mkdtempSync(join(tmpdir(), 'parley-probe-'));
try {
  const { createApp, loadConfig } = await import('../../src/index.ts');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !['DATABASE_URL', 'REDIS_URL', 'NATS_URL'].includes(key)) env[key] = value;
  const app = await createApp(loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir, ADMIN_API_KEY: 'probe-admin-key-0123456789' }));
  const url = await app.listen();
  // One request and one socket-free round trip, so lazily loaded request paths count too.
  await fetch(`${url}/readyz`);
  await app.close();
  process.stdout.write(`${JSON.stringify([...loaded])}\n`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
