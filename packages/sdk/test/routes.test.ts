import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Endpoints } from '@parley/protocol';
import { Routes } from '@parley/protocol/client';
import { routesSource } from '../../../scripts/write-routes.ts';
import { readFileSync } from 'node:fs';

/** The SDK calls the API through the schema-free route list: it must be the endpoint table, entry for entry. */
describe('the route list the SDK calls through', () => {
  it('has exactly the endpoint table’s operations, each with its method, path and access', () => {
    const fromTable = Object.fromEntries(Object.values(Endpoints).map(({ operationId, method, path, access }) => [operationId, { method, path, operationId, access }]));
    assert.deepEqual(Routes, fromTable);
  });

  it('is the file the generator writes now (run `npm run routes:write` after changing an endpoint)', () => {
    const written = readFileSync(new URL('../../protocol/src/routes.ts', import.meta.url), 'utf8');
    assert.equal(written, routesSource());
  });
});
