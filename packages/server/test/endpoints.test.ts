import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Endpoint, Endpoints, ErrorCodes, errorCodesOf } from '@parley/protocol';
import Fastify from 'fastify';
import { registerRoutes, route } from '../src/http/index.ts';
import { lazySerializers } from '../src/http/http-server.ts';
import { sqliteBackend } from './support/backends.ts';
import { startApp, type TestApp } from './support/test-app.ts';

const table = Object.values(Endpoints) as Endpoint[];
const key = (endpoint: Endpoint) => `${endpoint.method} ${endpoint.path}`;
/** Fastify's `:id` as OpenAPI's `{id}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/**
 * The endpoint table in packages/protocol is the one definition of the HTTP API: the
 * server serves exactly its operations, and the OpenAPI document is generated from it.
 */
describe('the endpoint table', () => {
  let t: TestApp;
  let document: any;

  before(async () => {
    t = await startApp(sqliteBackend);
    document = await (await fetch(`${t.url}/v1/openapi.json`)).json();
  });
  after(() => t?.close());

  it('names each operation once, by a unique method and path', () => {
    assert.equal(new Set(table.map(key)).size, table.length);
    assert.equal(new Set(table.map((endpoint) => endpoint.operationId)).size, table.length);
    for (const endpoint of table) {
      const pathParams = [...endpoint.path.matchAll(/:(\w+)/g)].map((match) => match[1]).sort();
      const declared = Object.keys((endpoint.params as { properties?: object } | undefined)?.properties ?? {}).sort();
      assert.deepEqual(declared, pathParams, `${endpoint.operationId}: params schema names the path's parameters`);
    }
  });

  it('is exactly what the server serves: no route outside it, no operation without a route', () => {
    const served = new Set(t.app.http.servedRoutes());
    const defined = new Set(table.map(key));
    assert.deepEqual([...served].filter((route) => !defined.has(route)).sort(), [], 'served but not in the table');
    assert.deepEqual([...defined].filter((route) => !served.has(route)).sort(), [], 'in the table but not served');
  });

  it('generates the OpenAPI document: every operation with its operationId, security and declared error statuses', () => {
    const operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
    assert.equal(operations.length, table.length);
    for (const endpoint of table) {
      const operation = document.paths[openApiPath(endpoint.path)]?.[endpoint.method.toLowerCase()];
      assert.ok(operation, `${key(endpoint)} is documented`);
      assert.equal(operation.operationId, endpoint.operationId);
      const scheme = endpoint.securityScheme ?? (endpoint.access === 'user' ? 'bearer' : endpoint.access === 'admin' ? 'adminKey' : null);
      assert.deepEqual(operation.security, scheme ? [{ [scheme]: [] }] : [], `${endpoint.operationId} security`);
      if (scheme) assert.ok(document.components.securitySchemes[scheme], `${scheme} is described`);
      const statuses = new Set(errorCodesOf(endpoint).map((code) => String(ErrorCodes[code].status)));
      for (const status of statuses) {
        if (endpoint.otherResponses?.[Number(status)]) continue;
        assert.ok(operation.responses[status], `${endpoint.operationId} documents ${status}`);
        const codes = errorCodesOf(endpoint).filter((code) => String(ErrorCodes[code].status) === status);
        for (const code of codes) assert.match(operation.responses[status].description ?? '', new RegExp(`\\b${code}\\b`), `${endpoint.operationId} ${status} names ${code}`);
      }
      const success = String(endpoint.successStatus ?? 200);
      assert.ok(operation.responses[success], `${endpoint.operationId} documents ${success}`);
      assert.equal(Boolean(operation.responses['429']), statuses.has('429'));
    }
  });

  it('refuses to start when an operation has no handler, or two', async () => {
    const app = Fastify();
    const hooks = { user: async () => {}, admin: async () => {} };
    await assert.rejects(registerRoutes(app, [route(Endpoints.getHealth, () => ({ status: 'ok' }))], hooks), /no handler for .*getReadiness/);
    const all = table.map((endpoint) => route(endpoint, () => ({}) as never));
    await assert.rejects(registerRoutes(app, [...all, all[0]!], hooks), /two handlers for getHealth/);
    await app.close();
  });

  it('describes every answer in a schema Fastify\'s own serializer compiler builds (the server builds each on first use)', async () => {
    // Fastify with its defaults builds every route's serializers before it is ready, as the server no longer does.
    const app = Fastify();
    const hooks = { user: async () => {}, admin: async () => {} };
    await registerRoutes(app, table.map((endpoint) => route(endpoint, () => ({}) as never)), hooks);
    await app.ready();
    await app.close();
    // And the lazy factory the server uses builds the same serializers when asked.
    const serialize = lazySerializers()({ schema: { type: 'object', properties: { n: { type: 'integer' } } }, method: 'GET', url: '/x', httpStatus: '200' });
    assert.equal(serialize({ n: 1, extra: true }), '{"n":1}');
  });
});
