import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_DOCS, ConfigError, loadConfig, readConfigSection } from '../src/config/index.ts';
import { EnvSchema } from '../src/config/env.schema.ts';

const root = new URL('../../../', import.meta.url);
const schemaNames = Object.keys(EnvSchema.properties);
const external = { AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'app' };
const sharedSecret = 'external-shared-secret-0123456789-abc';

function problemsOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail(`${JSON.stringify(env)} was accepted`);
}

describe('configuration schema', () => {
  it('generates the tables in README.md and docs/operations.md exactly as they are committed', async () => {
    for (const doc of CONFIG_DOCS) {
      const committed = readConfigSection(await readFile(new URL(doc.file, root), 'utf8'));
      assert.ok(committed !== null, `${doc.file} has no config-table markers`);
      assert.equal(committed, doc.render(), `${doc.file} differs from the schema: run npm run docs:config`);
    }
  });

  it('documents every variable in docs/operations.md and points the README at it', async () => {
    const operations = readConfigSection(await readFile(new URL('docs/operations.md', root), 'utf8')) ?? '';
    for (const name of schemaNames) assert.match(operations, new RegExp(`^\\| \`${name}\` \\|`, 'm'), name);
    const readme = readConfigSection(await readFile(new URL('README.md', root), 'utf8')) ?? '';
    assert.match(readme, /docs\/operations\.md#configuration/);
  });

  it('gives every variable a one-line meaning and a section', () => {
    for (const [name, schema] of Object.entries(EnvSchema.properties)) {
      const { description, group } = schema as { description?: string; group?: string };
      assert.ok(description && !description.includes('\n'), `${name} has no one-line meaning`);
      assert.ok(group, `${name} has no section`);
    }
  });

  it('reports every bad variable in one error, in the order of the schema, without quoting URLs or secrets', () => {
    const error = problemsOf({
      RATE_LIMIT_SENDS_PER_USER: '10',
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      ADMIN_API_KEY: 'hunter2',
      TRUST_PROXY: 'maybe',
      AUTH_JWT_ISSUER: 'https://id.example',
    });
    assert.deepEqual(error.variables, ['PORT', 'LOG_LEVEL', 'TRUST_PROXY', 'DATABASE_URL', 'ADMIN_API_KEY', 'AUTH_JWT_AUDIENCE', 'AUTH_JWT_SECRET', 'RATE_LIMIT_SENDS_PER_USER']);
    assert.equal(error.variable, 'PORT');
    for (const variable of error.variables) assert.match(error.message, new RegExp(`^  - ${variable} `, 'm'));
    assert.match(error.message, /PORT must be a whole number from 0 to 65535, got "abc"/);
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it('reports a bad value once, not again as missing for a rule that involves it', () => {
    const error = problemsOf({ ...external, AUTH_JWT_SECRET: 'short' });
    assert.deepEqual(error.problems, [{ variable: 'AUTH_JWT_SECRET', problem: 'must be at least 32 characters' }]);
    assert.equal(error.message, 'Invalid configuration: AUTH_JWT_SECRET must be at least 32 characters');
  });

  it('checks a variable even while its feature is off, so a typo is found before the feature is turned on', () => {
    assert.deepEqual(problemsOf({ POLICY_HOOK_TIMEOUT_MS: '5', AUTH_JWT_CLOCK_SKEW_SEC: 'soon' }).variables, ['AUTH_JWT_CLOCK_SKEW_SEC', 'POLICY_HOOK_TIMEOUT_MS']);
  });

  it('chooses the broker: NATS when NATS_URL is set, else Redis, else in-process; an explicit BROKER needs its URL', () => {
    assert.deepEqual(loadConfig({}).broker, { kind: 'memory' });
    assert.deepEqual(loadConfig({ REDIS_URL: 'redis://cache:6379' }).broker, { kind: 'redis', url: 'redis://cache:6379' });
    assert.deepEqual(loadConfig({ REDIS_URL: 'redis://cache:6379', NATS_URL: 'nats://bus:4222' }).broker, { kind: 'nats', url: 'nats://bus:4222', subjectPrefix: 'parley', jetstream: null });
    assert.deepEqual(loadConfig({ BROKER: 'redis', REDIS_URL: 'redis://cache:6379', NATS_URL: 'nats://bus:4222' }).broker, { kind: 'redis', url: 'redis://cache:6379' });
    assert.deepEqual(loadConfig({ BROKER: 'memory', REDIS_URL: 'redis://cache:6379' }).broker, { kind: 'memory' });
    assert.deepEqual(loadConfig({ BROKER: 'nats', NATS_URL: 'tls://bus:4222', NATS_SUBJECT_PREFIX: 'chat-eu' }).broker, { kind: 'nats', url: 'tls://bus:4222', subjectPrefix: 'chat-eu', jetstream: null });
    assert.deepEqual(problemsOf({ BROKER: 'nats' }).problems, [{ variable: 'NATS_URL', problem: 'is required when BROKER is nats' }]);
    assert.deepEqual(problemsOf({ BROKER: 'redis' }).problems, [{ variable: 'REDIS_URL', problem: 'is required when BROKER is redis' }]);
    assert.deepEqual(problemsOf({ BROKER: 'kafka', NATS_URL: 'http://bus', NATS_SUBJECT_PREFIX: 'a.b' }).variables, ['BROKER', 'NATS_URL', 'NATS_SUBJECT_PREFIX']);
  });

  it('turns on NATS JetStream with bounded retention, only for the NATS broker', () => {
    assert.deepEqual(loadConfig({ NATS_URL: 'nats://bus:4222', NATS_JETSTREAM: 'true' }).broker, {
      kind: 'nats', url: 'nats://bus:4222', subjectPrefix: 'parley',
      jetstream: { storage: 'memory', maxAgeMs: 120_000, maxBytes: 256 * 1024 * 1024, maxMsgs: 1_000_000 },
    });
    const chosen = { NATS_URL: 'nats://bus:4222', NATS_JETSTREAM: 'yes', NATS_JETSTREAM_STORAGE: 'file', NATS_JETSTREAM_MAX_AGE_MS: '600000', NATS_JETSTREAM_MAX_BYTES: '1048576', NATS_JETSTREAM_MAX_MSGS: '5000' };
    assert.deepEqual(loadConfig(chosen).broker, { kind: 'nats', url: 'nats://bus:4222', subjectPrefix: 'parley', jetstream: { storage: 'file', maxAgeMs: 600_000, maxBytes: 1_048_576, maxMsgs: 5000 } });
    assert.deepEqual(problemsOf({ NATS_JETSTREAM: 'true' }).problems, [{ variable: 'NATS_JETSTREAM', problem: 'needs the NATS broker (NATS_URL set, BROKER auto or nats)' }]);
    assert.deepEqual(problemsOf({ BROKER: 'redis', REDIS_URL: 'redis://cache:6379', NATS_URL: 'nats://bus:4222', NATS_JETSTREAM: 'true' }).variables, ['NATS_JETSTREAM']);
    assert.deepEqual(problemsOf({ NATS_URL: 'nats://bus:4222', NATS_JETSTREAM_STORAGE: 'disk', NATS_JETSTREAM_MAX_AGE_MS: '10', NATS_JETSTREAM_MAX_BYTES: 'lots', NATS_JETSTREAM_MAX_MSGS: '0' }).variables,
      ['NATS_JETSTREAM_STORAGE', 'NATS_JETSTREAM_MAX_AGE_MS', 'NATS_JETSTREAM_MAX_BYTES', 'NATS_JETSTREAM_MAX_MSGS']);
  });

  it('chooses the media backend of group calls: the one configured, an explicit choice when both are, none when told', () => {
    const livekit = { LIVEKIT_URL: 'wss://lk.example', LIVEKIT_API_KEY: 'key', LIVEKIT_API_SECRET: 'livekit-secret-0123456789' };
    const janus = { JANUS_URL: 'https://janus.example/janus', JANUS_ADMIN_KEY: 'janus-admin-key-0123' };
    assert.equal(loadConfig({}).calls.mediaBackend, null);
    assert.equal(loadConfig(livekit).calls.mediaBackend, 'livekit');
    assert.deepEqual([loadConfig(janus).calls.mediaBackend, loadConfig(janus).calls.janus], ['janus', { url: janus.JANUS_URL, apiUrl: janus.JANUS_URL, adminKey: janus.JANUS_ADMIN_KEY }]);
    assert.equal(loadConfig({ ...livekit, ...janus, CALL_MEDIA_BACKEND: 'janus' }).calls.mediaBackend, 'janus');
    assert.equal(loadConfig({ ...janus, CALL_MEDIA_BACKEND: 'none' }).calls.mediaBackend, null);
    assert.deepEqual(problemsOf({ ...livekit, ...janus }).problems, [{ variable: 'CALL_MEDIA_BACKEND', problem: 'must be livekit or janus when both LIVEKIT_URL and JANUS_URL are set' }]);
    assert.deepEqual(problemsOf({ JANUS_URL: janus.JANUS_URL }).problems, [{ variable: 'JANUS_ADMIN_KEY', problem: 'is required when Janus is configured (JANUS_URL and JANUS_ADMIN_KEY)' }]);
    assert.deepEqual(problemsOf({ CALL_MEDIA_BACKEND: 'janus' }).problems, [{ variable: 'JANUS_URL', problem: 'is required when CALL_MEDIA_BACKEND is janus' }]);
  });

  it('refuses split roles on the embedded SQLite store or without Redis, naming ROLE', () => {
    const pg = 'postgres://db/parley';
    const redis = 'redis://cache:6379';
    assert.equal(loadConfig({}).role, 'all');
    for (const role of ['gateway', 'api', 'worker']) {
      assert.equal(loadConfig({ ROLE: role, DATABASE_URL: pg, REDIS_URL: redis }).role, role);
      const sqlite = problemsOf({ ROLE: role, REDIS_URL: redis });
      assert.deepEqual(sqlite.variables, ['ROLE']);
      assert.match(sqlite.message, new RegExp(`ROLE is ${role}, which needs PostgreSQL \\(DATABASE_URL\\): the embedded SQLite store serves one process`));
      assert.match(problemsOf({ ROLE: role, DATABASE_URL: pg }).message, /needs Redis \(REDIS_URL\)/);
    }
    assert.deepEqual(problemsOf({ ROLE: 'frontend' }).variables, ['ROLE']);
  });

  it('turns tracing on only when an OTEL_* variable asks for it', () => {
    assert.equal(loadConfig({}).tracing, null);
    assert.equal(loadConfig({ OTEL_SERVICE_NAME: 'chat' }).tracing, null);
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing, null);
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing, null);
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc%20def,x-team=chat' }).tracing, {
      exporter: 'otlp', url: 'http://collector:4318/v1/traces', headers: { 'api-key': 'abc def', 'x-team': 'chat' }, serviceName: 'parley', sampler: { kind: 'parentbased_always_on' },
    });
    const traces = loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/traces', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).tracing;
    assert.equal(traces?.url, 'https://otel.example/traces');
    assert.deepEqual(traces?.sampler, { kind: 'parentbased_traceidratio', ratio: 0.25 });
    assert.equal(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing?.url, 'http://localhost:4318/v1/traces');
    assert.deepEqual(problemsOf({ OTEL_TRACES_SAMPLER_ARG: '1.5', OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' }).variables, ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_TRACES_SAMPLER_ARG']);
  });

  it('accepts HS256 (and only HS256) as the algorithms of a shared secret', () => {
    assert.deepEqual(loadConfig({ ...external, AUTH_JWT_SECRET: sharedSecret, AUTH_JWT_ALGORITHMS: 'HS256' }).auth.external?.algorithms, ['HS256']);
    assert.deepEqual(loadConfig({ ...external, AUTH_JWT_SECRET: sharedSecret }).auth.external?.algorithms, ['HS256']);
    assert.deepEqual(problemsOf({ ...external, AUTH_JWT_SECRET: sharedSecret, AUTH_JWT_ALGORITHMS: 'RS256' }).variables, ['AUTH_JWT_ALGORITHMS']);
  });

  it('treats a blank value as unset and reads choices in any case', () => {
    const config = loadConfig({ PORT: '  ', LOG_LEVEL: 'DEBUG', SQLITE_SYNCHRONOUS: 'normal', POLICY_HOOK_URL: 'https://hook.example/check', POLICY_HOOK_FAIL: 'Open' });
    assert.equal(config.port, 8080);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.db.sqliteSynchronous, 'NORMAL');
    assert.equal(config.policyHook?.failMode, 'open');
    assert.deepEqual(config.policyHook?.actions, ['conversation.create', 'members.add', 'conversation.join', 'message.send', 'channel.post']);
  });

  it('reads exactly the variables the schema describes, whatever is configured', () => {
    const environments: Array<Record<string, string>> = [
      {},
      { ...external, AUTH_JWKS_URL: 'https://id.example/jwks', AUTH_JWT_ALGORITHMS: 'RS256', POLICY_HOOK_URL: 'https://hook.example/check', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://cache' },
      { ...external, AUTH_JWT_SECRET: sharedSecret, PORT: 'abc' },
    ];
    for (const values of environments) {
      const read = new Set<string>();
      const env = new Proxy(values, {
        get(target, key) {
          if (typeof key === 'string') read.add(key);
          return Reflect.get(target, key);
        },
        has(target, key) {
          if (typeof key === 'string') read.add(key);
          return Reflect.has(target, key);
        },
        ownKeys() {
          assert.fail('loadConfig must not enumerate the environment: it reads the names in its schema');
        },
      });
      try {
        loadConfig(env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
      }
      assert.deepEqual([...read].filter((name) => !schemaNames.includes(name)), [], 'read without a schema entry');
      assert.deepEqual(schemaNames.filter((name) => !read.has(name)), [], 'in the schema but never read');
    }
  });

  it('leaves process.env to the config module: no other server source reads it', async () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const files = (await readdir(src, { recursive: true })).filter((file) => file.endsWith('.ts') && !file.startsWith('config/'));
    assert.ok(files.length > 50, `only ${files.length} sources found under ${src}`);
    const readers: string[] = [];
    for (const file of files) {
      if (/process\.env\b/.test(await readFile(`${src}${file}`, 'utf8'))) readers.push(file);
    }
    assert.deepEqual(readers, []);
  });
});
