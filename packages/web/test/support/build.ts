import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../../../', import.meta.url));
export const webDir = join(packagesDir, 'web');
export const distIndex = join(webDir, 'dist', 'index.html');

/** Everything the bundle is made of: a change in any of these makes dist stale. */
const inputs = [join(webDir, 'src'), join(webDir, 'public'), join(webDir, 'index.html'), join(webDir, 'vite.config.ts'), join(webDir, 'emoji-data.ts'), join(packagesDir, 'sdk', 'src'), join(packagesDir, 'protocol', 'src')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Builds the web client unless dist is newer than every source file (the root `npm test`
 * builds it first, so this only runs for `npm run test:one` after an edit).
 */
export function ensureWebBuild(): { built: boolean; ms: number } {
  const started = Date.now();
  const builtAt = existsSync(distIndex) ? statSync(distIndex).mtimeMs : 0;
  if (builtAt > 0 && inputs.every((input) => newestMtime(input) <= builtAt)) return { built: false, ms: 0 };
  const vite = join(createRequire(join(webDir, 'package.json')).resolve('vite/package.json'), '..', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: webDir, stdio: ['ignore', 'ignore', 'inherit'] });
  return { built: true, ms: Date.now() - started };
}
