/**
 * Memory held by slow readers of large pages (issue 22, item 6): one account stores
 * messages of control characters (six bytes each once JSON-escaped), then N readers ask
 * for `GET …/events?after=0&limit=500` over raw sockets, read the first bytes of the answer
 * and stop reading. Prints the server's resident memory before and while they hold on.
 *
 *   node --conditions=development bench/large-pages.ts [--readers 60] [--messages 200] [--length 4000]
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { sampleProcess } from './lib/proc.ts';
import { ADMIN_KEY, startCluster } from './lib/servers.ts';

const { values } = parseArgs({ options: { readers: { type: 'string', default: '60' }, messages: { type: 'string', default: '200' }, length: { type: 'string', default: '4000' }, port: { type: 'string', default: '18390' } } });
const readers = Number(values.readers);
const messages = Number(values.messages);
const length = Number(values.length);

async function json(url: string, method: string, token: string, body?: unknown): Promise<any> {
  const response = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const cluster = await startCluster({ nodes: 1, store: 'sqlite', postgresUrl: '', basePort: Number(values.port), env: { MAX_MESSAGE_LENGTH: String(Math.max(length, 4000)) } });
const sockets: Socket[] = [];
try {
  const [node] = cluster.nodes;
  const url = node!.url;
  const users = [];
  for (const handle of [`reader${process.pid}`, `peer${process.pid}`]) {
    const { user } = await json(`${url}/v1/admin/users`, 'POST', ADMIN_KEY, { handle, displayName: handle });
    users.push({ user, token: (await json(`${url}/v1/admin/users/${user.id}/tokens`, 'POST', ADMIN_KEY, {})).accessToken as string });
  }
  const [me, peer] = users as [{ user: { id: string }; token: string }, { user: { id: string }; token: string }];
  const { conversation } = await json(`${url}/v1/conversations`, 'POST', me.token, { kind: 'direct', userId: peer.user.id });
  for (let i = 0; i < messages; i++) await json(`${url}/v1/conversations/${conversation.id}/messages`, 'POST', me.token, { clientMsgId: `m${i}`, text: '\u0001'.repeat(length) });
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = sampleProcess(node!.pid).rssBytes;
  const statuses = new Map<string, number>();
  await Promise.all(Array.from({ length: readers }, () => new Promise<void>((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    sockets.push(socket);
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      const status = chunk.toString('latin1', 9, 12);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      resolve();
    });
    socket.write(`GET /v1/conversations/${conversation.id}/events?after=0&limit=500 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${me.token}\r\n\r\n`);
  })));
  // Let every answer be written as far as the kernel takes it.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const during = sampleProcess(node!.pid).rssBytes;
  console.log(`${messages} messages of ${length} control characters; ${readers} slow readers (answers: ${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')})`);
  console.log(`server RSS before ${mb(before)}, with the readers holding on ${mb(during)}: +${mb(during - before)}`);
} finally {
  for (const socket of sockets) socket.destroy();
  await cluster.close();
}
