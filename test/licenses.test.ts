import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/** Product teams reject GPL/AGPL risk: every package that ships at run time must be permissive. */
const PERMISSIVE = new Set(['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0', 'CC0-1.0', 'Unlicense']);

describe('runtime dependencies', () => {
  it('are all under permissive licenses', () => {
    const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, { dev?: boolean; link?: boolean; license?: string }>;
    };
    const offenders: string[] = [];
    let checked = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.includes('node_modules/') || entry.dev || entry.link) continue;
      checked++;
      const licenses = (entry.license ?? 'UNKNOWN').replace(/[()]/g, '').split(/\s+OR\s+/);
      // "A OR B" is fine when one of them is permissive; "A AND B" when both are (@bufbuild/protobuf: Apache-2.0 AND BSD-3-Clause).
      if (!licenses.some((license) => license.split(/\s+AND\s+/).every((part) => PERMISSIVE.has(part.trim())))) offenders.push(`${path.split('node_modules/').at(-1)}: ${entry.license ?? 'no license field'}`);
    }
    assert.ok(checked > 20, `the lock file lists the runtime packages (${checked})`);
    assert.deepEqual(offenders, []);
  });

  it('include the project itself under Apache-2.0', () => {
    const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { license: string };
    assert.equal(root.license, 'Apache-2.0');
    assert.match(readFileSync(new URL('../LICENSE', import.meta.url), 'utf8'), /Apache License\s+Version 2\.0/);
  });
});
