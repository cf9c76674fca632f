import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../src/platform/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

function assertIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `id ${i} (${ids[i]}) sorts after id ${i - 1} (${ids[i - 1]})`);
}

/** Ids are UUIDv7 and sort in the order they were made in this process (lists ordered by id, such as the audit log, rely on it). */
describe('ids', () => {
  it('are UUIDv7 carrying the millisecond they were made in', () => {
    const now = Date.now() + 60_000;
    const id = newId(now);
    assert.match(id, UUID_V7);
    assert.equal(msOf(id), now);
  });

  it('sort in the order they were made, within one millisecond too, past the counter borrowing the next one', () => {
    const now = Date.now() + 120_000;
    const ids = Array.from({ length: 10_000 }, () => newId(now));
    assertIncreasing(ids);
    for (const id of ids) assert.match(id, UUID_V7);
    assert.equal(msOf(ids[0]!), now);
    assert.ok(msOf(ids.at(-1)!) > now, 'more ids than a millisecond\'s counter holds borrow the next millisecond');
    assert.equal(new Set(ids).size, ids.length);
  });

  it('keep increasing when the clock steps back', () => {
    const now = Date.now() + 180_000;
    const ids = [newId(now), newId(now - 5_000), newId(now - 10_000), newId(now + 1)];
    assertIncreasing(ids);
    assert.equal(msOf(ids[3]!), now + 1);
  });
});
