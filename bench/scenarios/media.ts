import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { numberList, parseOptions } from '../lib/args.ts';
import { sampleProcess } from '../lib/proc.ts';
import { publish, type Report } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createUsers, userId } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import { environment, log } from './common.ts';

const MB = 1024 * 1024;

/** Runs `clients` loops at once, each doing `work(client)` `rounds` times; resolves to the wall time in seconds. */
async function concurrently(clients: number, rounds: number, work: (client: number, round: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    for (let round = 0; round < rounds; round++) await work(client, round);
  }));
  return (performance.now() - started) / 1000;
}

/** Samples the server's resident memory every 50 ms while `phase` runs; the peak. */
async function peakRss<T>(pid: number, phase: () => Promise<T>): Promise<{ result: T; peakBytes: number }> {
  let peakBytes = sampleProcess(pid).rssBytes;
  const timer = setInterval(() => (peakBytes = Math.max(peakBytes, sampleProcess(pid).rssBytes)), 50);
  try {
    const result = await phase();
    return { result, peakBytes: Math.max(peakBytes, sampleProcess(pid).rssBytes) };
  } finally {
    clearInterval(timer);
  }
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<number> {
  let bytes = 0;
  if (body) for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
  return bytes;
}

/**
 * Files through the server: `clients` users each upload `rounds` files of every size
 * (`POST /v1/uploads`, streamed to the local store), then each downloads them through a link
 * (`GET /v1/files/:id/url`, then `/v1/blobs/…`), all at once. Figures: MB/s each way and the
 * server's peak RSS per phase, next to the same bytes written to and read from the same disk
 * by this process alone (no server), concurrently in the same way.
 */
export async function media(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { clients: 20, sizes: '1,50', rounds: '5,1', store: 'sqlite', port: 9250 });
  const env = environment();
  const sizes = numberList(options.sizes);
  const rounds = numberList(options.rounds);
  if (rounds.length !== sizes.length) throw new Error('--rounds needs one count per size');
  log(`media: ${options.clients} clients, files of ${sizes.join(', ')} MB (${rounds.join(', ')} each)`);
  const cluster = await startCluster({
    nodes: 1, store: options.store as Store, postgresUrl: env.postgresUrl, basePort: options.port,
    env: { RATE_LIMIT_UPLOADS_PER_USER: 'off', MEDIA_MAX_FILE_BYTES: String(Math.max(...sizes) * MB + MB), MEDIA_USER_QUOTA_BYTES: String(100 * 1024 * MB) },
  });
  const rows: Report['rows'] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'parley-bench-disk-'));
  try {
    const base = cluster.nodes[0]!.url;
    const pid = cluster.nodes[0]!.pid;
    await createUsers(base, options.clients);
    const tokens = Array.from({ length: options.clients }, (_, i) => mintToken(userId(i)));
    const idleRss = sampleProcess(pid).rssBytes;
    for (const [index, sizeMb] of sizes.entries()) {
      const perClient = rounds[index]!;
      // Text (base64 of random bytes): an allowed type that does not compress; one buffer shared by every client.
      const bytes = Buffer.from(randomBytes(Math.ceil((sizeMb * MB * 3) / 4)).toString('base64').slice(0, sizeMb * MB));
      const total = bytes.length * options.clients * perClient;
      const ids: string[][] = Array.from({ length: options.clients }, () => []);

      const up = await peakRss(pid, () => concurrently(options.clients, perClient, async (client) => {
        const response = await fetch(`${base}/v1/uploads?name=bench-${sizeMb}mb.txt`, {
          method: 'POST', headers: { authorization: `Bearer ${tokens[client]}`, 'content-type': 'application/octet-stream' }, body: bytes,
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`upload: ${response.status} ${text.slice(0, 300)}`);
        ids[client]!.push((JSON.parse(text) as { file: { id: string } }).file.id);
      }));
      const down = await peakRss(pid, () => concurrently(options.clients, perClient, async (client, round) => {
        const link = await fetch(`${base}/v1/files/${ids[client]![round]}/url`, { headers: { authorization: `Bearer ${tokens[client]}` } });
        const { url } = (await link.json()) as { url: string };
        const response = await fetch(new URL(url, base));
        if ((await drain(response.body)) !== bytes.length) throw new Error('short download');
      }));

      // The same bytes, the same concurrency, straight to and from this disk.
      mkdirSync(scratch, { recursive: true });
      const diskWrite = await concurrently(options.clients, perClient, (client, round) => pipeline(Readable.from([bytes]), createWriteStream(join(scratch, `${client}-${round}`), { flush: true })));
      const diskRead = await concurrently(options.clients, perClient, async (client, round) => {
        let read = 0;
        for await (const chunk of createReadStream(join(scratch, `${client}-${round}`))) read += (chunk as Buffer).length;
        if (read !== bytes.length) throw new Error('short read');
      });
      rmSync(scratch, { recursive: true, force: true });

      const mbps = (seconds: number) => Math.round(total / MB / seconds);
      rows.push({
        'file MB': sizeMb,
        files: options.clients * perClient,
        'upload MB/s': mbps(up.result),
        'download MB/s': mbps(down.result),
        'disk write MB/s': mbps(diskWrite),
        'disk read MB/s': mbps(diskRead),
        'server RSS idle / upload / download MB': `${Math.round(idleRss / MB)} / ${Math.round(up.peakBytes / MB)} / ${Math.round(down.peakBytes / MB)}`,
      });
      log(`  ${sizeMb} MB: ${JSON.stringify(rows.at(-1))}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await cluster.close();
  }
  publish({
    command: 'media',
    scenario: 'media',
    options,
    rows,
    notes: [
      'Uploads are streamed to the local store (fsync before the rename) with the SHA-256 computed on the way; downloads stream from the store through signed links. Disk figures: the same bytes written (flushed) and read back by the bench process alone.',
      'Memory must stay flat with file size: the RSS columns are the server\'s peak during each phase.',
    ],
  });
}
