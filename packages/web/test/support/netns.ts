import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const INSIDE = 'PARLEY_LOOPBACK_NETNS';

/**
 * How a media suite runs: `inside` a network namespace that has only loopback (this
 * process was started there), `outside` it with a way in (root, and `unshare -n` works: the
 * suite re-runs its file in a fresh namespace so no packet of a call can leave the machine),
 * or `unisolated` when neither (then everything still binds to 127.0.0.1 only).
 */
export function loopbackIsolation(): { mode: 'inside' | 'outside' | 'unisolated'; reason: string } {
  if (process.env[INSIDE] === '1') return { mode: 'inside', reason: 'running inside a loopback-only network namespace' };
  if (process.env.PARLEY_NO_NETNS === '1') return { mode: 'unisolated', reason: 'PARLEY_NO_NETNS=1: running in the machine\'s network namespace (everything binds to 127.0.0.1)' };
  if (process.getuid?.() !== 0) return { mode: 'unisolated', reason: 'not root, so no network namespace: running in the machine\'s (everything binds to 127.0.0.1)' };
  const probe = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return { mode: 'unisolated', reason: `unshare -n is not available here (${probe.error?.message ?? `exit ${probe.status}`}): running in the machine's network namespace` };
  return { mode: 'outside', reason: 're-running the suite inside a loopback-only network namespace (unshare -n)' };
}

/**
 * Runs a test file again inside a new network namespace with only `lo` (brought up), with the
 * same Node and conditions; resolves with its exit code, output and how many tests passed and failed.
 */
export async function runInLoopbackNamespace(fileUrl: string, timeoutMs: number): Promise<{ code: number | null; output: string; passed: number; failed: number }> {
  const file = fileURLToPath(fileUrl);
  // Without NODE_TEST_CONTEXT: the inner runner would see it is inside a test and run nothing.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', process.execPath, '--conditions=development', '--test', '--test-reporter=spec', `--test-timeout=${timeoutMs}`, file], {
    env: { ...env, [INSIDE]: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  // Passed on line by line as comments of this run (a chunk may end mid-line).
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) process.stdout.write(`# | ${line}\n`);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  const count = (what: string) => Number(new RegExp(`ℹ ${what} (\\d+)`, 'u').exec(output)?.[1] ?? NaN);
  return { code, output, passed: count('pass'), failed: count('fail') };
}
