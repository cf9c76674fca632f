import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Plugin } from 'vite';

/** Where the client finds the emoji data (frimousse's `emojibaseUrl`): served by Parley itself, never a CDN. */
export const EMOJI_DATA_PATH = '/emoji';
const FILES = ['en/data.json', 'en/messages.json'] as const;

/**
 * Ships the English Emojibase data (the `emojibase-data` package) with the client at
 * `/emoji/en/*.json`, so the emoji picker works offline and under the page's
 * `connect-src 'self'`. The picker loads it only when first opened, and keeps it in
 * localStorage; it is not part of the first load's JavaScript. The dev server serves the
 * same files.
 */
export function emojiData(): Plugin {
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(require.resolve(`emojibase-data/${file}`));
  return {
    name: 'parley-emoji-data',
    generateBundle() {
      for (const file of FILES) this.emitFile({ type: 'asset', fileName: `${EMOJI_DATA_PATH.slice(1)}/${file}`, source: read(file) });
    },
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const file = FILES.find((name) => request.url === `${EMOJI_DATA_PATH}/${name}`);
        if (!file) return next();
        response.setHeader('content-type', 'application/json');
        response.end(read(file));
      });
    },
  };
}
