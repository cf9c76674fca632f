import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { bundleBudget } from './bundle-budget.ts';
import { emojiData } from './emoji-data.ts';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Builds the web client to dist/, which the server serves at `/`. The workspace
 * packages are bundled from their TypeScript sources (no separate build step).
 * `npm run dev -w @parley/web` serves it with hot reload and proxies the API to a
 * server on :8080 (PARLEY_URL to point elsewhere).
 */
const api = process.env.PARLEY_URL ?? 'http://localhost:8080';

export default defineConfig({
  // The budget: the first load's JS, gzipped, and no schema code (see bundle-budget.ts).
  // The emoji picker's data, served from here (see emoji-data.ts).
  plugins: [react(), bundleBudget(), emojiData()],
  resolve: {
    alias: [
      { find: /^@parley\/sdk$/, replacement: source('../sdk/src/index.ts') },
      { find: /^@parley\/protocol\/client$/, replacement: source('../protocol/src/client.ts') },
      { find: /^@parley\/protocol$/, replacement: source('../protocol/src/index.ts') },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Source maps would publish the whole client source next to the bundle; production
    // builds ship none (`vite build --sourcemap` locally when debugging a build).
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/v1': { target: api, ws: true, changeOrigin: true },
    },
  },
});
