import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Builds the web client to dist/, which the server serves at `/`. The workspace
 * packages are bundled from their TypeScript sources (no separate build step).
 * `npm run dev -w @parley/web` serves it with hot reload and proxies the API to a
 * server on :8080 (PARLEY_URL to point elsewhere).
 */
const api = process.env.PARLEY_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      '@parley/sdk': source('../sdk/src/index.ts'),
      '@parley/protocol': source('../protocol/src/index.ts'),
    },
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
