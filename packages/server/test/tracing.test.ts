import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { type Broker, createRedisBroker, MemoryBus } from '../src/index.ts';
import { createNatsBroker } from '../src/platform/broker/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createOtelTracing } from '../src/platform/tracing/otel-tracing.ts';
import type { Tracing } from '../src/platform/tracing/index.ts';
import { type Backend, postgresBackend, sqliteBackend, type Store } from './support/backends.ts';
import { openTracing } from '../src/platform/tracing/index.ts';
import { loadConfig } from '../src/index.ts';
import { hasPostgres, hasRedis, natsUrl, redisUrl, requireNats } from './support/services.ts';
import { createUser, expectOk, http, startApp, type TestApp } from './support/test-app.ts';
import { TestSocket } from './support/ws-client.ts';

/**
 * Tracing across nodes: two complete nodes, each with its own broker connection and its own
 * in-memory span exporter (as two processes would export separately). One send must give one
 * trace: the request (HTTP or socket frame) on the sending node, its database transaction and
 * broker publish, and the delivery on the other node as a child of that publish, found only
 * through the traceparent the broker envelope carried.
 */
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', nodeId: 'tracing-test' });

interface Variant {
  name: string;
  backend: Backend;
  brokers(): Promise<[Broker, Broker]>;
}

const variants: Variant[] = [{
  name: 'in-memory bus, SQLite',
  backend: sqliteBackend,
  async brokers() {
    const bus = new MemoryBus();
    return [bus.connect(), bus.connect()];
  },
}];
if (hasPostgres && hasRedis) {
  const prefix = `parley-test:${process.pid}:${randomBytes(6).toString('hex')}:`;
  variants.push({
    name: 'Redis, PostgreSQL',
    backend: postgresBackend,
    brokers: async () => [await createRedisBroker(redisUrl, logger, prefix), await createRedisBroker(redisUrl, logger, prefix)],
  });
}
if (hasPostgres && (await requireNats())) {
  const prefix = `parley_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  variants.push({
    name: 'NATS, PostgreSQL',
    backend: postgresBackend,
    brokers: async () => [await createNatsBroker(natsUrl, logger, prefix), await createNatsBroker(natsUrl, logger, prefix)],
  });
}

const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** Waits (with a deadline) for a span the exporter has received. */
async function waitForSpan(exporter: InMemorySpanExporter, what: string, match: (span: ReadableSpan) => boolean): Promise<ReadableSpan> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = exporter.getFinishedSpans().find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} span within 15 s; spans: ${exporter.getFinishedSpans().map((span) => span.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every span of one trace across the nodes' exporters, checked to form one tree under one root. */
function oneConnectedTrace(traceId: string, ...exporters: InMemorySpanExporter[]): { root: ReadableSpan; spans: ReadableSpan[] } {
  const spans = exporters.flatMap((exporter) => exporter.getFinishedSpans()).filter((span) => traceOf(span) === traceId);
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const roots = spans.filter((span) => parentOf(span) === undefined);
  assert.equal(roots.length, 1, `one root span, got ${roots.map((span) => span.name).join(', ')}`);
  for (const span of spans) {
    const parent = parentOf(span);
    if (parent !== undefined) assert.ok(ids.has(parent), `${span.name}'s parent is a span of the same trace`);
  }
  return { root: roots[0]!, spans };
}

for (const variant of variants) {
  describe(`a send traced across two nodes (${variant.name})`, () => {
    let store: Store;
    let a: TestApp;
    let b: TestApp;
    let brokers: Broker[] = [];
    const tracings: Tracing[] = [];
    const spansA = new InMemorySpanExporter();
    const spansB = new InMemorySpanExporter();
    const sockets: TestSocket[] = [];

    before(async () => {
      store = await variant.backend.create();
      brokers = await variant.brokers();
      const tracingA = createOtelTracing({ serviceName: 'parley', nodeId: 'node-a', version: 'test', exporter: spansA, immediate: true });
      const tracingB = createOtelTracing({ serviceName: 'parley', nodeId: 'node-b', version: 'test', exporter: spansB, immediate: true });
      tracings.push(tracingA, tracingB);
      a = await startApp(variant.backend, { store, broker: brokers[0]!, tracing: tracingA });
      b = await startApp(variant.backend, { store, broker: brokers[1]!, tracing: tracingB });
    });

    after(async () => {
      for (const socket of sockets) socket.close();
      await Promise.all([a?.close(), b?.close()]);
      await Promise.all(brokers.map((broker) => broker.close()));
      await Promise.all(tracings.map((tracing) => tracing.shutdown()));
      await store?.dispose();
    });

    it('an HTTP send on node A and its delivery to a socket on node B form one trace', async () => {
      const alice = await createUser(a.url);
      const bob = await createUser(a.url);
      const { conversation } = expectOk(await http(a.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } }));
      const bobOnB = await TestSocket.open(b.wsUrl, bob.token);
      sockets.push(bobOnB);

      const { message } = expectOk(await http(a.url, 'POST', `/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { clientMsgId: 'traced-1', text: 'hello across nodes' } }));
      await bobOnB.next((frame) => frame.t === 'event' && frame.event.type === 'message.created' && frame.event.data.message.id === message.id);
      const delivery = await waitForSpan(spansB, 'delivery on node B', (span) => span.name === 'deliver event' && span.attributes['parley.seq'] === message.seq && span.attributes['parley.conversation_id'] === conversation.id);
      // The request span ends with its answer; it is in A's exporter by the time the answer came back.
      const request = await waitForSpan(spansA, 'HTTP request', (span) => span.name === 'HTTP POST sendMessage' && traceOf(span) === traceOf(delivery));

      const { root, spans } = oneConnectedTrace(traceOf(delivery), spansA, spansB);
      assert.equal(root, request, 'the HTTP request on node A is the root');
      assert.equal(root.attributes['http.response.status_code'], 200);
      const transaction = spans.find((span) => span.name === 'db transaction' && parentOf(span) === request.spanContext().spanId);
      assert.ok(transaction, 'the database transaction is a child of the request');
      const publish = spans.find((span) => span.name === 'broker publish');
      assert.ok(publish && spansA.getFinishedSpans().includes(publish), 'the publish happened on node A');
      assert.equal(parentOf(delivery), publish.spanContext().spanId, 'node B delivered as a child of A\'s publish');
      assert.equal(delivery.parentSpanContext?.isRemote, true, 'the parent came from the broker envelope');
      assert.equal(delivery.resource.attributes['service.instance.id'], 'node-b');
      assert.equal(request.resource.attributes['service.instance.id'], 'node-a');
      const text = JSON.stringify(spans.map((span) => span.attributes));
      assert.ok(!text.includes('hello across nodes'), 'no message text in span attributes');
    });

    it('a send frame on node B and its delivery to a socket on node A form one trace', async () => {
      const alice = await createUser(a.url);
      const bob = await createUser(a.url);
      const { conversation } = expectOk(await http(a.url, 'POST', '/v1/conversations', { token: alice.token, body: { kind: 'direct', userId: bob.user.id } }));
      const aliceOnA = await TestSocket.open(a.wsUrl, alice.token);
      const bobOnB = await TestSocket.open(b.wsUrl, bob.token);
      sockets.push(aliceOnA, bobOnB);

      const ack = await bobOnB.request('send', { conversationId: conversation.id, clientMsgId: 'traced-2', text: 'over the socket' });
      await aliceOnA.next((frame) => frame.t === 'event' && frame.event.type === 'message.created' && frame.event.data.message.id === ack.id);
      const delivery = await waitForSpan(spansA, 'delivery on node A', (span) => span.name === 'deliver event' && span.attributes['parley.seq'] === ack.seq && span.attributes['parley.conversation_id'] === conversation.id);
      const frame = await waitForSpan(spansB, 'send frame', (span) => span.name === 'ws send' && traceOf(span) === traceOf(delivery));
      const { root, spans } = oneConnectedTrace(traceOf(delivery), spansA, spansB);
      assert.equal(root, frame, 'the socket frame on node B is the root');
      assert.equal(frame.attributes['parley.user_id'], bob.user.id);
      assert.ok(spans.some((span) => span.name === 'db transaction'), 'through the database');
      assert.ok(spans.some((span) => span.name === 'broker publish'), 'through the broker');
    });
  });
}

describe('tracing off', () => {
  it('loads no OpenTelemetry module when no OTEL_* variable turns it on', () => {
    // A fresh process starts a node without OTEL_* and lists every module it loaded.
    const probe = fileURLToPath(new URL('./support/loaded-modules-probe.ts', import.meta.url));
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('OTEL_')) env[key] = value;
    const run = spawnSync(process.execPath, ['--conditions=development', probe], { encoding: 'utf8', env, timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const loaded: string[] = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    assert.ok(loaded.some((url) => url.includes('/platform/tracing/')), 'the probe saw the tracing module itself (it does list loaded modules)');
    assert.ok(loaded.some((url) => url.includes('/node_modules/fastify/')), 'and the packages the server does load');
    // prom-client itself depends on @opentelemetry/api (the no-op facade, for exemplars) and loaded it
    // before tracing existed; with no provider registered it records nothing. Nothing else may load.
    const otel = loaded.filter((url) => url.includes('/@opentelemetry/') && !url.includes('/@opentelemetry/api/'));
    assert.deepEqual(otel, [], 'no OpenTelemetry SDK, context manager, propagator or exporter');
    assert.ok(!loaded.some((url) => url.includes('otel-tracing')), 'nor the SDK wrapper');
  });
});

describe('tracing on through the OTEL_* variables', () => {
  it('posts OTLP/HTTP protobuf spans to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, with the headers of OTEL_EXPORTER_OTLP_HEADERS', async () => {
    // A collector stand-in: it takes what the real OTLP exporter posts and keeps it.
    const posts: Array<{ url: string; type: string; auth: string; body: Buffer }> = [];
    const collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        posts.push({ url: request.url ?? '', type: String(request.headers['content-type']), auth: String(request.headers['x-api-key']), body: Buffer.concat(chunks) });
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as AddressInfo;
      const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=collector-key', OTEL_SERVICE_NAME: 'parley-otlp-test' });
      const tracing = await openTracing(config.tracing, { nodeId: 'otlp-node', version: 'test' });
      assert.equal(tracing.enabled, true);
      const node = await startApp(sqliteBackend, { tracing });
      try {
        assert.equal((await http(node.url, 'GET', '/readyz')).status, 200);
      } finally {
        await node.close();
        // Shutting down exports what the batch still holds.
        await tracing.shutdown();
      }
      const post = posts.find((candidate) => candidate.body.includes('HTTP GET getReadiness'));
      assert.ok(post, `the request's span was posted (${posts.length} posts)`);
      assert.equal(post.url, '/v1/traces');
      assert.equal(post.type, 'application/x-protobuf');
      assert.equal(post.auth, 'collector-key');
      assert.ok(post.body.includes('parley-otlp-test'), 'with OTEL_SERVICE_NAME as service.name');
      assert.ok(post.body.includes('otlp-node'), 'and NODE_ID as service.instance.id');
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});
