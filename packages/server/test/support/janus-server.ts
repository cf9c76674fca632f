import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { inCi } from './services.ts';

/**
 * A real Janus (Debian's `janus` package) for one suite: its own configuration in a temp
 * folder (only the VideoRoom plugin and the HTTP transport load), a free HTTP port, a
 * narrow RTP port range of its own, and the VideoRoom `admin_key` Parley holds.
 */
export const JANUS = process.env.JANUS_PATH ?? '/usr/bin/janus';
const LIB = process.env.JANUS_LIB ?? '/usr/lib/x86_64-linux-gnu/janus';

/** Why the Janus suites cannot run here, or false when they can. With CI=true a missing Janus fails the suite instead. */
export function janusSkipReason(): string | false {
  if (existsSync(JANUS) && existsSync(join(LIB, 'plugins/libjanus_videoroom.so'))) return false;
  if (inCi) return false;
  return `Janus is not installed at ${JANUS} (apt-get install janus; .ci/run does it): Janus suites skipped`;
}

export interface JanusTestServer {
  /** The HTTP API (`http://127.0.0.1:<port>/janus`). */
  url: string;
  adminKey: string;
  /** The janus process' id (the browser test reads its CPU time from /proc). */
  pid: number;
  /** Everything Janus logged, for failure messages. */
  log: () => string;
  /** One synchronous request on a fresh session and VideoRoom handle, as a client would send it. */
  videoroom: (body: Record<string, unknown>) => Promise<Record<string, unknown>>;
  close: () => Promise<void>;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The address ICE should use on this machine. Janus never gathers candidates on loopback
 * interfaces, so it needs a real interface's address; traffic between two local addresses
 * stays inside the kernel (no packet leaves the machine). Null when there is none.
 */
export function iceAddress(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

export async function startJanus(options: { iceAddress?: string } = {}): Promise<JanusTestServer> {
  if (!existsSync(JANUS)) throw new Error(`Janus is required and is missing at ${JANUS}: apt-get install janus (.ci/run installs it)`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-janus-'));
  for (const [folder, file] of [['plugins', 'libjanus_videoroom.so'], ['transports', 'libjanus_http.so'], ['events', null], ['loggers', null]] as const) {
    mkdirSync(join(dir, folder));
    if (file) symlinkSync(join(LIB, folder, file), join(dir, folder, file));
  }
  const port = await freePort();
  // A 200-port RTP range picked at random in 20000–59999, so parallel suites rarely share one (Janus takes whichever port in it is free).
  const rtpStart = 20_000 + Math.floor(Math.random() * 200) * 200;
  const adminKey = randomBytes(18).toString('base64url');
  const nat = options.iceAddress ? `ice_enforce_list = "${options.iceAddress}"` : 'ice_ignore_list = "vmnet"';
  writeFileSync(join(dir, 'janus.jcfg'), `general: {
  configs_folder = "${dir}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/events"
  loggers_folder = "${dir}/loggers"
  debug_level = 4
  session_timeout = 60
}
media: { rtp_port_range = "${rtpStart}-${rtpStart + 199}" }
nat: { ${nat} }
`);
  writeFileSync(join(dir, 'janus.transport.http.jcfg'), `general: { json = "plain", base_path = "/janus", http = true, port = ${port}, ip = "127.0.0.1", https = false }
admin: { admin_http = false }
cors: { allow_origin = "*" }
`);
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), `general: { admin_key = "${adminKey}", string_ids = true, lock_rtp_forward = true }\n`);

  let output = '';
  const child: ChildProcess = spawn(JANUS, ['-F', dir, '-C', join(dir, 'janus.jcfg'), '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/janus`;

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const post = async (path: string, body: Record<string, unknown>) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify({ ...body, transaction: randomBytes(6).toString('hex') }) });
    return (await response.json()) as { janus: string; data?: { id: number }; plugindata?: { data: Record<string, unknown> } };
  };

  // Ready when the HTTP transport answers (or failed for good when the process is gone).
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`janus exited (${child.exitCode}) before serving:\n${output}`);
    }
    try {
      const reply = await fetch(`${url}/info`, { signal: AbortSignal.timeout(1_000) });
      if (reply.ok && output.includes('VideoRoom plugin initialized')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`janus did not serve ${url} within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    url,
    adminKey,
    pid: child.pid!,
    log: () => output,
    async videoroom(body) {
      const session = (await post('', { janus: 'create' })).data!.id;
      const handle = (await post(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data!.id;
      try {
        return (await post(`/${session}/${handle}`, { janus: 'message', body })).plugindata?.data ?? {};
      } finally {
        await post(`/${session}`, { janus: 'destroy' });
      }
    },
    close,
  };
}

/**
 * A VideoRoom participant without media, speaking Janus' HTTP API as a client does: joining
 * is asynchronous (an `ack`, then the plugin's event on the session's long poll).
 */
export async function janusParticipant(url: string) {
  const post = async (path: string, body: Record<string, unknown>) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify({ ...body, transaction: randomBytes(6).toString('hex') }) });
    return (await response.json()) as { janus: string; data?: { id: number } };
  };
  const session = (await post('', { janus: 'create' })).data!.id;
  const handle = (await post(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data!.id;
  /** The next plugin event of this handle, within the deadline. */
  async function nextEvent(timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const response = await fetch(`${url}/${session}?maxev=1&rid=${Date.now()}`, { signal: AbortSignal.timeout(timeoutMs) });
      const event = (await response.json()) as { janus: string; sender?: number; plugindata?: { data: Record<string, unknown> } };
      if (event.janus === 'event' && event.sender === handle && event.plugindata) return event.plugindata.data;
    }
    throw new Error('no VideoRoom event before the deadline');
  }
  return {
    /** Joins as a publisher (without publishing yet): `joined`, or the plugin's error. */
    async join(room: string, token: string | undefined, display: string): Promise<Record<string, unknown>> {
      await post(`/${session}/${handle}`, { janus: 'message', body: { request: 'join', ptype: 'publisher', room, display, ...(token === undefined ? {} : { token }) } });
      return nextEvent();
    },
    nextEvent,
    close: () => post(`/${session}`, { janus: 'destroy' }).catch(() => {}),
  };
}
