import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { conversationToken, documentText } from '../../packages/server/src/platform/search-text.ts';
import { parseOptions } from '../lib/args.ts';
import { publish } from '../lib/report.ts';
import { startCluster, type Store } from '../lib/servers.ts';
import { createUsers, userId } from '../lib/setup.ts';
import { mintToken } from '../lib/tokens.ts';
import { environment, log } from './common.ts';

/** A seeded generator (mulberry32): the same corpus and queries on every run and store. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'be', 'do', 'fu', 'ga', 'hi', 'jo', 'pe', 'qu', 'ri', 'su', 'ta', 'wo', 'xe', 'yu', 'za', 'en', 'or', 'al', 'is', 'um'];

/** A vocabulary of made-up words and a Zipf sampler over it (rank r drawn ∝ 1/r), like words in real chat. */
function vocabulary(size: number, next: () => number): { words: string[]; draw: () => number } {
  const words = new Set<string>();
  while (words.size < size) {
    const length = 2 + Math.floor(next() * 3);
    words.add(Array.from({ length }, () => SYLLABLES[Math.floor(next() * SYLLABLES.length)]).join(''));
  }
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= size; rank++) cumulative.push((total += 1 / rank));
  const draw = () => {
    const target = next() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return { words: [...words], draw };
}

interface Row { id: string; conversation_id: string; seq: number; sender_id: string; client_msg_id: string; text: string; created_at: number }

/**
 * Message search at scale: `messages` messages spread over `groups` groups of `members`
 * users (each user reads groups × members / users of them), written straight into the
 * store with their search documents exactly as the server writes them, then `queries`
 * searches over HTTP, one at a time, as random members, in five kinds: a rare word, a
 * mid-frequency word, one of the ten most common words (the worst case: matches
 * everywhere), two words, and a common word within one conversation. The figure is the
 * server's answer time per kind (p50 / p95 / p99).
 */
export async function search(argv: string[]): Promise<void> {
  const options = parseOptions(argv, { messages: 1_000_000, users: 1000, groups: 1000, members: 10, queries: 200, store: 'sqlite', port: 9300, vocabulary: 20_000 });
  const env = environment();
  const scenario = `search-${options.store}`;
  log(`${scenario}: ${options.messages} messages in ${options.groups} groups of ${options.members}, ${options.users} users`);
  const cluster = await startCluster({ nodes: 1, store: options.store as Store, postgresUrl: env.postgresUrl, basePort: options.port, env: { RATE_LIMIT_SEARCHES_PER_USER: 'off' } });
  const rows: Array<Record<string, string | number>> = [];
  // Once: a keep-alive socket left idle through the fill has been closed by the server (HTTP_IDLE_TIMEOUT_MS).
  const fetch = (url: string, init?: RequestInit) => globalThis.fetch(url, init).catch(() => globalThis.fetch(url, init)).catch((error: unknown) => {
    const server = cluster.nodes[0]!;
    throw new Error(`${String(error)} ${String((error as { cause?: unknown }).cause)} (server exit ${server.child.exitCode}, signal ${server.child.signalCode}):\n${server.output()}`);
  });
  try {
    const base = cluster.nodes[0]!.url;
    await createUsers(base, options.users);
    const next = random(20);
    const groupMembers: string[][] = [];
    const groupIds: string[] = [];
    for (let g = 0; g < options.groups; g++) {
      const members = Array.from({ length: options.members }, (_, j) => userId((g + j * Math.floor(options.users / options.members)) % options.users));
      const [owner, ...rest] = members;
      const response = await fetch(`${base}/v1/conversations`, { method: 'POST', headers: { authorization: `Bearer ${mintToken(owner!)}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'group', title: `Group ${g}`, memberIds: rest }) });
      if (!response.ok) throw new Error(`group ${g}: ${response.status} ${await response.text()}`);
      groupIds.push(((await response.json()) as { conversation: { id: string } }).conversation.id);
      groupMembers.push(members);
    }
    const { words, draw } = vocabulary(options.vocabulary, next);
    const perGroup = Math.ceil(options.messages / options.groups);
    const start = Date.now() - 365 * 24 * 3600_000;
    // Rows in batches, conversation by conversation, each message a few Zipf words.
    function* corpus(): Generator<Row[]> {
      let batch: Row[] = [];
      let n = 0;
      for (let g = 0; g < options.groups && n < options.messages; g++) {
        for (let seq = 1; seq <= perGroup && n < options.messages; seq++, n++) {
          const length = 4 + Math.floor(next() * 14);
          const text = Array.from({ length }, () => words[draw()]).join(' ');
          const createdAt = start + Math.floor((seq / perGroup) * 365 * 24 * 3600_000);
          // Seqs past the ones the server used for the group's creation.
          batch.push({ id: `bm${n}`, conversation_id: groupIds[g]!, seq: 1000 + seq, sender_id: groupMembers[g]![Math.floor(next() * options.members)]!, client_msg_id: `bm${n}`, text, created_at: createdAt });
          if (batch.length === 5000) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    }
    const filled = Date.now();
    if (options.store === 'sqlite') {
      const db = new Database(join(cluster.dataDirOf(0), 'parley.db'));
      db.pragma('busy_timeout = 10000');
      const message = db.prepare('insert into messages (id, conversation_id, seq, sender_id, client_msg_id, text, reply_to, created_at, edited_at, deleted_at, forwarded_from) values (?, ?, ?, ?, ?, ?, null, ?, null, null, null)');
      const doc = db.prepare('insert into message_search_docs (message_id, conversation_id, sender_id, created_at) values (?, ?, ?, ?)');
      const fts = db.prepare('insert into message_fts (rowid, body, conv) values (?, ?, ?)');
      const write = db.transaction((batch: Row[]) => {
        for (const row of batch) {
          message.run(row.id, row.conversation_id, row.seq, row.sender_id, row.client_msg_id, row.text, row.created_at);
          const { lastInsertRowid } = doc.run(row.id, row.conversation_id, row.sender_id, row.created_at);
          fts.run(lastInsertRowid, documentText(row.text), conversationToken(row.conversation_id));
        }
      });
      let done = 0;
      for (const batch of corpus()) {
        write(batch);
        if ((done += batch.length) % 100_000 === 0) log(`  ${done} messages`);
      }
      db.prepare('update conversations set last_seq = last_seq + 1000 + ?').run(perGroup);
      db.exec('analyze');
      db.close();
    } else {
      const client = new pg.Client({ connectionString: cluster.databaseUrl! });
      await client.connect();
      let done = 0;
      for (const batch of corpus()) {
        const columns = (key: keyof Row) => batch.map((row) => row[key]);
        await client.query('begin');
        await client.query(`insert into messages (id, conversation_id, seq, sender_id, client_msg_id, text, created_at)
          select * from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])`,
        [columns('id'), columns('conversation_id'), columns('seq'), columns('sender_id'), columns('client_msg_id'), columns('text'), columns('created_at')]);
        await client.query(`insert into message_search_docs (message_id, conversation_id, sender_id, created_at, document)
          select id, c, s, t, to_tsvector('english', b) || to_tsvector('simple', b) from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) as x(id, c, s, t, b)`,
        [columns('id'), columns('conversation_id'), columns('sender_id'), columns('created_at'), batch.map((row) => documentText(row.text))]);
        await client.query('commit');
        if ((done += batch.length) % 100_000 === 0) log(`  ${done} messages`);
      }
      await client.query('update conversations set last_seq = last_seq + 1000 + $1', [perGroup]);
      await client.query('vacuum analyze');
      await client.end();
    }
    log(`  filled in ${Math.round((Date.now() - filled) / 1000)} s`);

    const kinds: Record<string, (member: string) => Record<string, string>> = {
      'rare word (rank 2,000–20,000)': () => ({ q: words[2000 + Math.floor(next() * (words.length - 2000))]! }),
      'mid word (rank 50–2,000)': () => ({ q: words[50 + Math.floor(next() * 1950)]! }),
      'common word (top 10)': () => ({ q: words[Math.floor(next() * 10)]! }),
      'two words (mid + mid)': () => ({ q: `${words[50 + Math.floor(next() * 500)]} ${words[50 + Math.floor(next() * 500)]}` }),
      'common word in one conversation': (member) => ({ q: words[Math.floor(next() * 10)]!, conversationId: groupIds[groupMembers.findIndex((members) => members.includes(member))]! }),
    };
    // Warm up (JIT, caches) with searches that are not measured.
    for (let i = 0; i < 30; i++) {
      const member = userId(Math.floor(next() * options.users));
      await fetch(`${base}/v1/search/messages?${new URLSearchParams({ q: words[Math.floor(next() * 2000)]! })}`, { headers: { authorization: `Bearer ${mintToken(member)}` } }).then((response) => response.text());
    }
    for (const [kind, make] of Object.entries(kinds)) {
      const times: number[] = [];
      let results = 0;
      for (let i = 0; i < options.queries; i++) {
        const member = userId(Math.floor(next() * options.users));
        const began = performance.now();
        const response = await fetch(`${base}/v1/search/messages?${new URLSearchParams(make(member))}`, { headers: { authorization: `Bearer ${mintToken(member)}` } });
        const body = (await response.json()) as { results?: unknown[] };
        times.push(performance.now() - began);
        if (!response.ok) throw new Error(`search: ${response.status} ${JSON.stringify(body)}`);
        results += body.results!.length;
      }
      times.sort((a, b) => a - b);
      const at = (p: number) => Math.round(times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]! * 10) / 10;
      rows.push({ query: kind, searches: times.length, 'results per page (avg)': Math.round((results / times.length) * 10) / 10, 'p50 / p95 / p99 ms': `${at(50)} / ${at(95)} / ${at(99)}`, 'max ms': at(100) });
      log(`  ${kind}: p50 ${at(50)} p95 ${at(95)} p99 ${at(99)} ms`);
    }
  } finally {
    await cluster.close();
  }
  publish({
    command: 'search',
    scenario,
    options,
    rows,
    notes: [
      `${options.messages.toLocaleString('en')} messages; each user reads ${Math.round((options.groups * options.members) / options.users)} groups (${Math.round((options.messages * options.members) / options.users).toLocaleString('en')} messages). Searches one at a time over HTTP, answer time at the client, ${options.store}. ${options.store === 'sqlite' ? 'The best 1,000 readable matches by bm25 are ranked' : 'The newest 1,000 readable matches are ranked (ts_rank)'} (SEARCH_CANDIDATES).`,
    ],
  });
}
