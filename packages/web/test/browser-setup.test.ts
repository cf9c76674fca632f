import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const browserSuite = fileURLToPath(new URL('./browser.test.ts', import.meta.url));

/**
 * Long enough for a loaded machine to start Node, build the client if it is stale and
 * start a server; a suite that hangs never ends at all, so any bound tells the two apart.
 */
const EXIT_BOUND_MS = 120_000;

/** Runs one test file in a Node process of its own; resolves when it exits or the bound passes (then it is killed). */
function runTestFile(file: string, env: Record<string, string>): Promise<{ code: number | null; output: string; exited: boolean }> {
  return new Promise((resolve, reject) => {
    // Run directly (not under --test): the process exits when nothing is left open, which is what is checked.
    // Without NODE_TEST_CONTEXT, which would make the child think it is a file of this run.
    const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--conditions=development', file], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, output, exited: false });
    }, EXIT_BOUND_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, exited: true });
    });
  });
}

describe('the browser suites’ set-up', () => {
  it('with CI=true and Chromium missing, a browser suite fails and its process exits instead of hanging on the server it started', async () => {
    const { code, output, exited } = await runTestFile(browserSuite, { CI: 'true', CHROMIUM_PATH: '/nonexistent/chromium' });
    assert.ok(exited, `the suite's process was still running after ${EXIT_BOUND_MS} ms:\n${output.slice(-2_000)}`);
    assert.notEqual(code, 0, `the suite must fail, not pass:\n${output.slice(-2_000)}`);
    assert.match(output, /Chromium is required for the browser suite and is missing at \/nonexistent\/chromium/);
  });
});
