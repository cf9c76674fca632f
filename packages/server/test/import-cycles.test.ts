import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import dpdm from 'dpdm';

const serverRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Modules talk through their index.ts and the gateway's parts through narrow interfaces
 * (gateway/session.ts), so the server has no import loop, type-only imports included: a
 * loop is where a module stops having one job. Checked with dpdm, which reads the imports
 * the way TypeScript resolves them.
 */
it('has no import cycle in packages/server/src, type imports included', async () => {
  const tree = await dpdm.parseDependencyTree('src/**/*.ts', { context: serverRoot, cwd: serverRoot, transform: false });
  assert.ok(Object.keys(tree).length > 100, `read ${Object.keys(tree).length} files`);
  const cycles = dpdm.parseCircular(tree);
  assert.deepEqual(cycles.map((cycle) => cycle.join(' -> ')), []);
});
