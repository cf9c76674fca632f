import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('starting the server (npm start)', () => {
  it('prints one plain line with the address to open, and JSON log lines otherwise', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-start-'));
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
    const child = spawn(process.execPath, ['--conditions=development', MAIN], { env: { ...env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start line within 60 s:\n${output}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk;
          const match = /^Parley is running at (http:\/\/127\.0\.0\.1:\d+)$/mu.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        void exited.then((code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      const response = await fetch(`${line}/healthz`);
      assert.equal(response.status, 200, 'the printed address answers');
      const lines = output.split('\n').filter((text) => text.trim() !== '');
      const plain = lines.filter((text) => !text.startsWith('{'));
      assert.deepEqual(plain, [`Parley is running at ${line}`], 'the only line that is not JSON');
      for (const text of lines.filter((entry) => entry.startsWith('{'))) JSON.parse(text);
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
