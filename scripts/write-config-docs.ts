import { readFile, writeFile } from 'node:fs/promises';
import { CONFIG_DOCS, replaceConfigSection } from '../packages/server/src/config/index.ts';

/**
 * `npm run docs:config`: rewrites the configuration tables of README.md and
 * docs/operations.md from the schema (between their config-table markers). Run it after
 * changing `packages/server/src/config/env.schema.ts`; `config.test.ts` fails until then.
 */
const root = new URL('../', import.meta.url);
for (const doc of CONFIG_DOCS) {
  const path = new URL(doc.file, root);
  const before = await readFile(path, 'utf8');
  const after = replaceConfigSection(before, doc.render());
  if (after === before) {
    console.log(`${doc.file}: up to date`);
  } else {
    await writeFile(path, after);
    console.log(`${doc.file}: table rewritten`);
  }
}
