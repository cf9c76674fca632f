import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** What the first load of the web client may ship: its entry script and every chunk it imports statically. */
export const INITIAL_JS_BUDGET_BYTES = 80 * 1024;

interface ChunkLike {
  type: 'chunk' | 'asset';
  fileName: string;
  isEntry?: boolean;
  imports?: string[];
  code?: string;
  moduleIds?: string[];
}

/** The entry chunks and the chunks they import statically (what loads before anything shows), with their gzipped sizes. */
export function initialChunks(bundle: Record<string, ChunkLike>): Array<{ fileName: string; gzipBytes: number }> {
  const seen = new Set<string>();
  const visit = (fileName: string) => {
    const chunk = bundle[fileName];
    if (!chunk || chunk.type !== 'chunk' || seen.has(fileName)) return;
    seen.add(fileName);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  for (const chunk of Object.values(bundle)) if (chunk.type === 'chunk' && chunk.isEntry) visit(chunk.fileName);
  return [...seen].map((fileName) => ({ fileName, gzipBytes: gzipSync(bundle[fileName]!.code ?? '', { level: 9 }).length }));
}

/**
 * Fails the build when the first load's JavaScript grows past the budget (gzipped, as the
 * server sends it), or when TypeBox (the protocol's schema code) reaches any browser chunk:
 * the SDK and the client import `@parley/protocol/client` for values, types only from the rest.
 * `PARLEY_WEB_JS_BUDGET` (bytes) overrides the budget, for the test that checks the failure.
 */
export function bundleBudget(budgetBytes = Number(process.env.PARLEY_WEB_JS_BUDGET) || INITIAL_JS_BUDGET_BYTES): Plugin {
  return {
    name: 'parley-bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = bundle as unknown as Record<string, ChunkLike>;
      for (const chunk of Object.values(chunks)) {
        const schemaModule = chunk.moduleIds?.find((id) => /[/\\]node_modules[/\\]typebox[/\\]/.test(id));
        if (schemaModule) this.error(`TypeBox is in the browser bundle (${chunk.fileName}, from ${schemaModule}): import values from @parley/protocol/client, types from @parley/protocol`);
      }
      const initial = initialChunks(chunks);
      const total = initial.reduce((sum, chunk) => sum + chunk.gzipBytes, 0);
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      const line = `initial JS ${kb(total)} gzipped (budget ${kb(budgetBytes)}): ${initial.map((chunk) => `${chunk.fileName} ${kb(chunk.gzipBytes)}`).join(', ')}`;
      if (total > budgetBytes) this.error(`Over the bundle budget: ${line}`);
      this.info(line);
    },
  };
}
