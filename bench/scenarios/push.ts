import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseOptions } from '../lib/args.ts';
import { runLadder, type StepResult } from '../lib/ladder.ts';
import { LoadGenerator } from '../lib/load.ts';
import { sampleAll } from '../lib/proc.ts';
import { publish, round, type Report } from '../lib/report.ts';
import { ADMIN_KEY, startCluster, type Store } from '../lib/servers.ts';
import { createConversation, createDirectPairs, createUsers, userId, wsUrl } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import type { SessionSpec } from '../lib/worker-protocol.ts';
import { environment, log } from './common.ts';

async function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const response = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** A push service stand-in that accepts everything (201) and counts; decryption is the test suites' job. */
async function startCountingPushService(): Promise<{ base: string; count: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      count++;
      response.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Push: (1) notifications per second through the outbox to a local Web Push stand-in: one
 * sender, a group of `recipients` offline members with one browser subscription each,
 * `messages` messages, timed from the first send to the last notification accepted (the
 * server encrypts each one for its browser, RFC 8291); (2) the send path's cost with push
 * on and off, in the same run: the direct scenario at one rate, server CPU per message.
 */
export async function push(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { recipients: 1000, messages: 10, store: 'sqlite', port: 9300, users: 1000, rate: 1000, step: 10, settle: 10, concurrency: 32 });
  const env = environment();
  const scenario = `push-${options.store}`;
  const rows: Report['rows'] = [];
  const notes: string[] = [];

  // --- 1: throughput through the outbox ---
  const service = await startCountingPushService();
  const cluster = await startCluster({
    nodes: 1, store: options.store as Store, postgresUrl: env.postgresUrl, basePort: options.port,
    env: { WEB_PUSH_HOSTS: '127.0.0.1', PUSH_ONLINE_GRACE_MS: '0', PUSH_POLL_MS: '50', PUSH_CONCURRENCY: String(options.concurrency), PUSH_BATCH_SIZE: '200' },
  });
  try {
    const base = cluster.nodes[0]!.url;
    const members = options.recipients + 1;
    log(`${scenario}: ${options.recipients} offline recipients with a Web Push subscription each, ${options.messages} messages`);
    await createUsers(base, members);
    const group = await createConversation(base, 'group', members);
    const browserKey = createECDH('prime256v1');
    browserKey.generateKeys();
    const keys = { p256dh: browserKey.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
    for (let from = 1; from < members; from += 50) {
      await Promise.all(Array.from({ length: Math.min(50, members - from) }, async (_, k) => {
        const i = from + k;
        const session = await call(base, 'POST', `/v1/admin/users/${userId(i)}/tokens`, ADMIN_KEY, {});
        await call(base, 'PUT', '/v1/me/devices/current/web-push', session.accessToken, { endpoint: `${service.base}/push/${i}`, keys });
      }));
    }
    const expected = options.recipients * options.messages;
    const pid = cluster.nodes[0]!.pid;
    const cpuBefore = sampleAll([pid]).cpuSeconds;
    const started = performance.now();
    for (let m = 0; m < options.messages; m++) await call(base, 'POST', `/v1/conversations/${group}/messages`, mintToken(userId(0)), { clientMsgId: `push-bench-${m}`, text: `notification ${m}` });
    const sendMs = performance.now() - started;
    const deadline = Date.now() + 300_000;
    while (service.count() < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = (performance.now() - started) / 1000;
    const cpu = sampleAll([pid]).cpuSeconds - cpuBefore;
    const delivered = service.count();
    log(`  ${delivered}/${expected} notifications in ${round(seconds, 2)} s (sends took ${Math.round(sendMs)} ms), server cpu ${round(cpu, 2)} s`);
    rows.push({ part: 'outbox drain', 'notifications': `${delivered} / ${expected}`, seconds: round(seconds, 2), 'notifications/s': Math.round(delivered / seconds), 'server CPU-s': round(cpu, 2), 'CPU-ms per notification': round((cpu * 1000) / Math.max(1, delivered), 3) });
  } finally {
    await cluster.close();
    await service.close();
  }

  // --- 2: the send path with push on and off ---
  const steps: Record<string, StepResult | undefined> = {};
  for (const enabled of ['false', 'true']) {
    const node = await startCluster({ nodes: 1, store: options.store as Store, postgresUrl: env.postgresUrl, basePort: options.port + 10, env: { PUSH_ENABLED: enabled } });
    try {
      const base = node.nodes[0]!.url;
      const pairs = Math.floor(options.users / 2);
      await createUsers(base, pairs * 2);
      const conversations = await createDirectPairs(base, pairs);
      const specs: SessionSpec[] = Array.from({ length: pairs * 2 }, (_, i) => ({ protocol: 'parley', userId: userId(i), url: wsUrl(base), token: mintToken(userId(i)), conversationId: conversations[Math.floor(i / 2)]! }));
      const load = LoadGenerator.create(specs, { perWorker: Math.ceil(specs.length / 2) });
      try {
        await load.connect();
        log(`  send path, push ${enabled === 'true' ? 'on' : 'off'}:`);
        [steps[enabled]] = await runLadder(load, { rates: [options.rate], stepMs: options.step * 1000, settleMs: options.settle * 1000, senders: specs.map((_, i) => i), fanout: 2, serverPids: () => [node.nodes[0]!.pid] }, log);
      } finally {
        await load.close();
      }
    } finally {
      await node.close();
    }
  }
  // Server CPU of the step over the messages it persisted (the ladder reports deliveries per CPU-second).
  const cpuPerMessage = (step: StepResult | undefined) => {
    if (!step || step.perCpuSecond <= 0 || step.acked <= 0) return 0;
    const delivered = step.sent * 2 - step.lost;
    return ((delivered / step.perCpuSecond) * 1000) / step.acked;
  };
  for (const enabled of ['false', 'true']) {
    const step = steps[enabled];
    rows.push({ part: `send path, push ${enabled === 'true' ? 'on' : 'off'}`, 'offered msgs/s': options.rate, 'persisted msgs/s': step ? Math.round(step.acked / options.step) : 0, 'p50 / p99 ms': step ? `${step.p50} / ${step.p99}` : '', 'server CPU-ms per message': round(cpuPerMessage(step), 3) });
  }
  const off = cpuPerMessage(steps.false);
  const on = cpuPerMessage(steps.true);
  notes.push(`Outbox drain: ${rows[0]!['notifications/s']} notifications/s to a local Web Push service (each encrypted per browser, VAPID-signed), store ${options.store}.`);
  if (off > 0 && on > 0) notes.push(`Send path: push on costs ${round(((on - off) / off) * 100, 1)} % more server CPU per message than push off (target < 10 %); the recipients are online, so each message adds its outbox row and the worker's expansion (default grace), and no delivery.`);
  publish({ command: 'push', scenario, options, rows, notes });
}
