import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { closeClass } from '@parley/protocol';
import { inCi } from '../packages/server/test/support/services.ts';
import { ADMIN_KEY, createUser, JWT_SECRET } from '../packages/server/test/support/test-app.ts';
import { TestSocket } from '../packages/server/test/support/ws-client.ts';
import { freePort } from './e2e/private-services.ts';

/**
 * The container image (issue 19, item 4): deploy/container/Containerfile is checked as text
 * everywhere, and where podman is installed it is built with no registry at all — the base is
 * Debian from Debian's packages (debootstrap) with this checkout's Node 24 — and run: as a
 * non-root user on a read-only root filesystem, healthy, serving, and draining on SIGTERM.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const CONTAINERFILE = join(root, 'deploy/container/Containerfile');
const run = promisify(execFile);

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage: continuation lines joined, comments dropped. */
function parseContainerfile(text: string): Array<{ from: string; name: string | null; instructions: Instruction[] }> {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const stages: Array<{ from: string; name: string | null; instructions: Instruction[] }> = [];
  for (const line of lines) {
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line)!;
    if (op!.toUpperCase() === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args!)!;
      stages.push({ from: image!, name: name ?? null, instructions: [] });
    } else if (stages.length) {
      stages.at(-1)!.instructions.push({ op: op!.toUpperCase(), args: args! });
    }
  }
  return stages;
}

describe('the container image (deploy/container/Containerfile)', () => {
  const stages = parseContainerfile(readFileSync(CONTAINERFILE, 'utf8'));
  const final = stages.at(-1)!;
  const all = (op: string) => final.instructions.filter((i) => i.op === op);

  it('is built in stages and runs the compiled server from a production-only tree', () => {
    assert.ok(stages.length >= 3, 'build, production dependencies and run stages');
    const prodDeps = stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args)));
    assert.ok(prodDeps?.name, 'a named stage installs with `npm ci --omit=dev`');
    // node_modules of the run stage come only from that stage: no TypeScript, Vite or test tools.
    const copies = all('COPY');
    const modules = copies.filter((c) => /node_modules/.test(c.args));
    assert.deepEqual(modules.map((c) => /--from=(\S+)/.exec(c.args)?.[1]), [prodDeps.name], 'node_modules come from the production-only stage');
    assert.ok(!final.instructions.some((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args)), 'nothing is installed in the run stage');
    for (const copy of copies.filter((c) => c.args.includes('--from=build'))) {
      assert.match(copy.args, /(\/dist|package\.json)\s/, `the run stage takes only compiled output and manifests from the build: ${copy.args}`);
    }
    // What the CMD starts is what the build emits: tsc -b writes packages/server/dist from src.
    assert.deepEqual(JSON.parse(all('CMD').at(-1)!.args), ['node', 'packages/server/dist/main.js'], 'exec form (node is PID 1 and gets SIGTERM), compiled entry point');
    assert.equal(JSON.parse(readFileSync(join(root, 'packages/server/tsconfig.json'), 'utf8')).compilerOptions.outDir, 'dist');
    for (const needed of ['packages/server/dist', 'packages/protocol/dist', 'packages/web/dist']) {
      assert.ok(copies.some((c) => c.args.includes(needed)), `the run stage has ${needed}`);
    }
    assert.ok(stages.find((s) => s.name === 'build')!.instructions.some((i) => i.op === 'RUN' && i.args.includes('tsc -b') && i.args.includes('build:web')), 'the build stage compiles the server and the web client');
  });

  it('runs as a non-root user, with a health check on /healthz and SIGTERM as its stop signal', () => {
    const user = all('USER').at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `USER is not root (${user})`);
    const health = all('HEALTHCHECK').at(-1)?.args ?? '';
    assert.match(health, /CMD .*\/healthz/);
    assert.equal(all('STOPSIGNAL').at(-1)?.args, 'SIGTERM');
    assert.ok(all('VOLUME').some((v) => v.args.includes('/var/lib/parley')), 'the data directory is a volume (the root filesystem may be read-only)');
    assert.ok(all('ENV').some((e) => /DATA_DIR=\/var\/lib\/parley/.test(e.args)));
    // Kubernetes' runAsNonRoot can only verify a numeric user; deploy/k8s runs the same uid.
    assert.match(user, /^\d+(:\d+)?$/);
    assert.match(readFileSync(join(root, 'deploy/k8s/base/deployment.yaml'), 'utf8'), new RegExp(`runAsUser: ${user.split(':')[0]}\\b`));
  });

  describe('built and run with podman, with no registry', { skip: podmanMissing(), timeout: 1_800_000 }, () => {
    const runtime = ['--runtime', commandExists('runc') ? 'runc' : 'crun'];
    // This sandbox lacks CAP_SYS_RESOURCE: podman's default limits (above the host's) cannot be set.
    const limits = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'];
    const tag = `localhost/parley-test:${process.pid}`;
    const name = `parley-test-${process.pid}`;
    let dataDir = '';
    let port = 0;
    let url = '';

    before(async () => {
      await ensureNodeBase(runtime, limits);
      await run('podman', ['build', ...runtime, ...limits, '--network', 'host', '--volume', `${npmCache()}:/root/.npm:O`, '--format', 'docker', '--build-arg', `NODE_IMAGE=${NODE_BASE}`, '-f', CONTAINERFILE, '-t', tag, root], { maxBuffer: 64 * 1024 * 1024 });
      dataDir = mkdtempSync(join(tmpdir(), 'parley-image-data-'));
      execFileSync('chown', ['10001:10001', dataDir]);
      port = await freePort();
      url = `http://127.0.0.1:${port}`;
      await run('podman', ['run', '-d', '--name', name, ...runtime, ...limits, '--network', 'host', '--read-only', '--read-only-tmpfs=false', '--volume', `${dataDir}:/var/lib/parley`,
        '-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1', '-e', `JWT_SECRET=${JWT_SECRET}`, '-e', `ADMIN_API_KEY=${ADMIN_KEY}`, '-e', 'DRAIN_WINDOW_MS=1000', tag]);
      const deadline = Date.now() + 60_000;
      while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error(`the container did not become ready:\n${(await run('podman', ['logs', name]).catch((e: Error) => ({ stdout: e.message }))).stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }, { timeout: 1_500_000 }); // a first build (debootstrap, npm ci twice) takes many minutes

    after(async () => {
      await run('podman', ['rm', '-f', '-t', '0', name]).catch(() => {});
      await run('podman', ['rmi', '-f', tag]).catch(() => {});
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('serves as uid 10001 on a read-only root filesystem, with production dependencies only, and its health check passes', async () => {
      assert.equal((await run('podman', ['exec', name, 'id', '-u'])).stdout.trim(), '10001');
      await assert.rejects(run('podman', ['exec', name, 'node', '-e', "require('fs').writeFileSync('/app/x', '')"]), 'the root filesystem is read-only');
      const present = (await run('podman', ['exec', name, 'ls', 'node_modules'])).stdout.split('\n');
      for (const dev of ['typescript', 'vite', 's3rver', 'playwright-core', 'node']) assert.ok(!present.includes(dev), `${dev} is not in the image`);
      await run('podman', ['healthcheck', 'run', name]);
      // It works: a user created through the admin API lands in SQLite on the data volume.
      const user = await createUser(url);
      assert.ok(user.user.id);
      assert.equal((await fetch(`${url}/`)).status, 200, 'the web client is served');
    });

    it('drains on SIGTERM: sockets are asked to reconnect and resume, then the process exits 0', async () => {
      const user = await createUser(url);
      const socket = await TestSocket.open(`${url.replace('http', 'ws')}/v1/ws`, user.token);
      await run('podman', ['stop', '-t', '30', name]);
      const code = await socket.closed(15_000);
      assert.equal(closeClass(code), 'resume', `close ${code} asks the client to reconnect and resume`);
      assert.equal((await run('podman', ['inspect', name, '--format', '{{.State.ExitCode}}'])).stdout.trim(), '0');
      assert.match((await run('podman', ['logs', name])).stdout, /draining connections[\s\S]*shut down/);
    });
  });
});

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** podman and debootstrap (for a base image with no registry); .ci/run installs them, so CI fails without them. */
function podmanMissing(): string | false {
  const missing = ['podman', 'debootstrap'].filter((tool) => !commandExists(tool));
  if (!missing.length) return false;
  const reason = `${missing.join(' and ')} not installed: the image is checked as text only`;
  if (inCi) throw new Error(`${reason}, and CI=true (.ci/run installs them)`);
  process.stderr.write(`# ${reason}\n`);
  return reason;
}

/** The host's npm cache speeds up `npm ci` in the build; mounted as an overlay (`:O`), so the build never changes it. */
function npmCache(): string {
  return execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
}

const DEBIAN_BASE = 'localhost/parley-debian-base:bookworm';
/** Tagged with the exact Node version: made once per version, then reused (and so are the build stages cached on it). */
const NODE_BASE = `localhost/parley-node-base:${process.version}`;

async function imageExists(image: string): Promise<boolean> {
  return run('podman', ['image', 'exists', image]).then(() => true, () => false);
}

/**
 * A stand-in for the official Node image, made from Debian's packages and this checkout's
 * Node 24 and npm: a Debian root filesystem from debootstrap (kept as an image, so later runs
 * skip it), Node and npm copied in, and the `node` user (uid 1000) the official image has.
 */
async function ensureNodeBase(runtime: string[], limits: string[]): Promise<void> {
  if (!(await imageExists(DEBIAN_BASE))) {
    const rootfs = mkdtempSync(join(tmpdir(), 'parley-rootfs-'));
    try {
      await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'], { maxBuffer: 64 * 1024 * 1024 });
      await run('sh', ['-c', `tar -C '${rootfs}' -c . | podman import - ${DEBIAN_BASE}`], { maxBuffer: 64 * 1024 * 1024 });
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }
  if (await imageExists(NODE_BASE)) return;
  const context = mkdtempSync(join(tmpdir(), 'parley-node-base-'));
  try {
    cpSync(process.execPath, join(context, 'node'));
    const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
    cpSync(join(npmRoot, 'npm'), join(context, 'npm'), { recursive: true });
    writeFileSync(join(context, 'Containerfile'), [
      `FROM ${DEBIAN_BASE}`,
      'COPY node /usr/local/bin/node',
      'COPY npm /usr/local/lib/node_modules/npm',
      'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\\n && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\\n && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node \\\n && node --version && npm --version',
      '',
    ].join('\n'));
    await run('podman', ['build', ...runtime, ...limits, '--format', 'docker', '-t', NODE_BASE, context], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
