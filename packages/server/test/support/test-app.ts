import type { AuthResponse, User } from '@parley/protocol';
import { type App, type Broker, createApp, loadConfig } from '../../src/index.ts';
import type { Backend, Store } from './backends.ts';
import type { Logger } from '../../src/platform/logger.ts';
import type { Tracing } from '../../src/platform/tracing/index.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789';
export const JWT_SECRET = 'test-jwt-secret-0123456789-0123456789-abcdef';
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** GET /metrics as the Prometheus scraper does it: with the METRICS_TOKEN every test app has. */
export function scrapeMetrics(base: string): Promise<Response> {
  return fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
}

export interface TestApp {
  app: App;
  url: string;
  wsUrl: string;
  store: Store;
  /** Closes the app, then drops its store (unless the store is shared). */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  broker?: Broker;
  /** Reuse a store (several nodes on one database); it is not disposed by close(). */
  store?: Store;
  /** A clock the app reads instead of the system's (tests that move time). */
  clock?: () => number;
  /** Where the app logs (tests that read its warnings); silent by default. */
  logger?: Logger;
  /** Tracing with the test's own exporter (tests of traces). */
  tracing?: Tracing;
}

/** Starts a real server on a random local port with a fresh store. */
export async function startApp(backend: Backend, options: StartOptions = {}): Promise<TestApp> {
  const store = options.store ?? (await backend.create());
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ADMIN_API_KEY: ADMIN_KEY,
    JWT_SECRET,
    METRICS_TOKEN,
    // The overload refusal (4002 while the event loop lags) protects a production node; on a
    // busy test machine it would refuse the test's own sockets. overload.test.ts turns it on.
    OVERLOAD_EVENT_LOOP_LAG_MS: '0',
    ...store.env,
    ...options.env,
  });
  const app = await createApp(config, {
    ...(options.broker ? { broker: options.broker } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  const url = await app.listen();
  return {
    app,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/v1/ws`,
    store,
    async close() {
      await app.close();
      if (!options.store) await store.dispose();
    },
  };
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
}

/** A JSON request against a running app. */
export async function http<T = any>(base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export interface TestUser {
  user: User;
  token: string;
  refreshToken: string;
  sessionId: string;
}

let counter = 0;

/** A user created through the admin API (no password hashing, so fast), signed in on a new device session. */
export async function createUser(base: string, name?: string): Promise<TestUser> {
  const handle = name ?? `user${process.pid}x${++counter}`;
  const created = await http(base, 'POST', '/v1/admin/users', { token: ADMIN_KEY, body: { handle, displayName: handle } });
  if (created.status !== 200) throw new Error(`creating ${handle}: ${created.status} ${JSON.stringify(created.body)}`);
  return signIn(base, created.body.user.id);
}

/** Another device session for an existing user. */
export async function signIn(base: string, userId: string): Promise<TestUser> {
  const issued = await http<AuthResponse>(base, 'POST', `/v1/admin/users/${userId}/tokens`, { token: ADMIN_KEY, body: {} });
  if (issued.status !== 200) throw new Error(`signing in ${userId}: ${issued.status} ${JSON.stringify(issued.body)}`);
  return { user: issued.body.user, token: issued.body.accessToken, refreshToken: issued.body.refreshToken, sessionId: issued.body.sessionId };
}

export function expectOk<T>(result: HttpResult<T>, what = 'request'): T {
  if (result.status !== 200) throw new Error(`${what} failed: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}
