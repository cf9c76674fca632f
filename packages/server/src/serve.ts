import { flushCompileCache } from 'node:module';
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config/index.ts';

/** Configuration from the environment, then serve until SIGTERM/SIGINT (main.ts loads this once the compile cache is on). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const url = await app.listen();
  // Written now, not only at a clean exit: a node that is killed still starts faster the next time.
  flushCompileCache();
  app.logger.info({ url, storage: app.db.dialect, broker: config.broker.kind, role: config.role, jobs: app.jobs, tracing: app.tracing.enabled }, `Parley is listening on ${url}`);
  // One plain line for the person who ran `npm start`, among the JSON log lines (which stay
  // JSON: log shippers skip a line they cannot parse).
  process.stdout.write(`Parley is running at ${url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal: the operator does not want to wait for the drain. Clients resume
      // from the logs as after a crash; requests in flight may be cut (exit 1 says so).
      app.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.logger.info({ signal, drainWindowMs: config.shutdown.drainWindowMs }, 'shutting down: draining connections');
    // Graceful: readiness fails, clients are asked to reconnect elsewhere (spread over the
    // drain window), in-flight writes finish, then the process exits 0.
    app.shutdown().then(
      () => {
        app.logger.info('shut down');
        process.exit(0);
      },
      (error: unknown) => {
        app.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Parley failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
