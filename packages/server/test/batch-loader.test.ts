import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatchLoader } from '../src/platform/db/batch-loader.ts';

/** A loader over a fixed table that records every batch it was asked for. */
function recording(table: Record<string, number>, fail?: (keys: string[]) => boolean) {
  const batches: string[][] = [];
  const load = createBatchLoader<number>(async (keys) => {
    batches.push(keys);
    if (fail?.(keys)) throw new Error('store down');
    return new Map(keys.filter((key) => key in table).map((key) => [key, table[key]!]));
  }, 3);
  return { load, batches };
}

test('reads asked for in one turn go out as one query, each caller gets its own row', async () => {
  const { load, batches } = recording({ a: 1, b: 2 });
  const results = await Promise.all([load('a'), load('b'), load('missing')]);
  assert.deepEqual(results, [1, 2, undefined]);
  assert.deepEqual(batches, [['a', 'b', 'missing']]);
});

test('the same key asked twice in a batch is read once and answers both', async () => {
  const { load, batches } = recording({ a: 1 });
  assert.deepEqual(await Promise.all([load('a'), load('a')]), [1, 1]);
  assert.deepEqual(batches, [['a']]);
});

test('a batch never carries more than its bound', async () => {
  const { load, batches } = recording({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 });
  const results = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(load));
  assert.deepEqual(results, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(batches, [['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
});

test('reads in later turns are later batches and see later data', async () => {
  const table: Record<string, number> = { a: 1 };
  const { load, batches } = recording(table);
  assert.equal(await load('a'), 1);
  table.a = 2;
  assert.equal(await load('a'), 2);
  assert.equal(batches.length, 2);
});

test('a failed query rejects only the callers it carried', async () => {
  const { load } = recording({ a: 1, b: 2, c: 3, d: 4 }, (keys) => keys.includes('a'));
  const results = await Promise.allSettled([load('a'), load('b'), load('c'), load('d')]);
  assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected', 'rejected', 'fulfilled']);
  assert.equal((results[3] as PromiseFulfilledResult<number>).value, 4);
  // The loader is usable after a failure.
  assert.equal(await load('d'), 4);
});

test('a loader that throws synchronously still settles every caller', async () => {
  const load = createBatchLoader<number>((() => {
    throw new Error('bad statement');
  }) as never);
  await assert.rejects(load('a'), /bad statement/);
});
