import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { INITIAL_JS_BUDGET_BYTES } from '../bundle-budget.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const webRoot = fileURLToPath(new URL('..', import.meta.url));
const vite = fileURLToPath(new URL('../../../node_modules/vite/bin/vite.js', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** What a production build of the web client publishes: built the way `npm run build:web` does, into a temporary directory. */
describe('a production build of the web client', () => {
  let outDir: string;
  let files: string[];

  before(() => {
    outDir = mkdtempSync(join(tmpdir(), 'parley-web-build-'));
    const build = spawnSync(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: webRoot, encoding: 'utf8', timeout: 170_000 });
    if (build.status !== 0) {
      rmSync(outDir, { recursive: true, force: true });
      throw new Error(`vite build failed (${build.status}): ${build.stderr}`);
    }
    files = filesUnder(outDir);
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  it('publishes no source maps, and no bundle points to one', () => {
    assert.ok(files.some((file) => file.endsWith('.js')), 'the build has scripts');
    assert.deepEqual(files.filter((file) => file.endsWith('.map')), []);
    for (const file of files.filter((name) => /\.(?:js|css)$/.test(name))) {
      assert.doesNotMatch(readFileSync(file, 'utf8'), /[#@] sourceMappingURL=/, file);
    }
  });

  it('names its scripts and styles by content hash, so the server may cache them as immutable', () => {
    // Except the service worker: its URL must stay the same across deployments (the browser
    // checks that URL for updates), and the server sends it `no-cache` like the page.
    const assets = files.filter((file) => /\.(?:js|css)$/.test(file) && !/[/\\]sw\.js$/.test(file));
    assert.ok(assets.length > 0);
    assert.ok(files.some((file) => /[/\\]sw\.js$/.test(file)), 'the service worker is published at /sw.js');
    for (const file of assets) assert.match(file, /[/\\]assets[/\\][\w-]+-[\w-]{8,}\.(?:js|css)$/, file);
  });

  it('ships at most 80 KB of gzipped JS on the first load (the entry script and what it preloads), and no schema code anywhere', (t) => {
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const initial = [...html.matchAll(/<script type="module"[^>]* src="([^"]+)"|<link rel="modulepreload"[^>]* href="([^"]+)"/g)].map((match) => match[1] ?? match[2]!);
    assert.ok(initial.length > 0, 'an entry script');
    const sizes = initial.map((path) => ({ path, gzip: gzipSync(readFileSync(join(outDir, path)), { level: 9 }).length }));
    const total = sizes.reduce((sum, entry) => sum + entry.gzip, 0);
    t.diagnostic(`initial JS: ${(total / 1024).toFixed(1)} KB gzipped (${sizes.map((entry) => `${entry.path} ${entry.gzip} B`).join(', ')})`);
    assert.ok(total <= INITIAL_JS_BUDGET_BYTES, `${total} bytes gzipped, budget ${INITIAL_JS_BUDGET_BYTES}`);
    assert.equal(INITIAL_JS_BUDGET_BYTES, 80 * 1024);
    // The route splits exist: the chat and sign-in screens are chunks of their own, loaded later.
    const scripts = files.filter((file) => file.endsWith('.js'));
    assert.ok(scripts.length >= 3, `split into chunks (${scripts.length})`);
    // TypeBox's runtime keys its schemas with '~kind': no browser chunk has it.
    for (const file of scripts) assert.doesNotMatch(readFileSync(file, 'utf8'), /~kind/, file);
  });

  it('fails when the first load goes over its budget', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-web-budget-'));
    try {
      const build = spawnSync(process.execPath, [vite, 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: webRoot, encoding: 'utf8', timeout: 170_000, env: { ...process.env, PARLEY_WEB_JS_BUDGET: '1000' } });
      assert.notEqual(build.status, 0, 'the build fails');
      assert.match(build.stderr + build.stdout, /Over the bundle budget: initial JS [\d.]+ KB gzipped \(budget 1\.0 KB\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
