/**
 * The embedded store's writer, on its own thread (see sqlite-driver.ts). It owns the one
 * connection that writes, so `COMMIT` — the fsync of synchronous=FULL — waits here and not
 * on the server's event loop. Requests arrive in order and each runs to completion before
 * the next, so a transaction begun by the main thread sees only its own statements until
 * it commits (the main thread holds the writer for it; see the driver's writer lock).
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { statementCache } from './statement-cache.ts';
import { setUpWriter } from './sqlite-writer-setup.ts';
import { UNKEYED, type WriterReply, type WriterRequest, type WriterResult, type WriterSetup } from './sqlite-writer-protocol.ts';

const setup = workerData as WriterSetup;
const port = parentPort!;

const database = new SqliteDatabase(setup.file);
setUpWriter(database, setup.synchronous);

const prepare = statementCache(database);

/** SQL texts by the key the main thread gave them (it bounds how many keys there are), and their statements once prepared. */
const texts = new Map<number, string>();
const keyed = new Map<number, SqliteDatabase.Statement>();

function run(statement: SqliteDatabase.Statement, parameters: readonly unknown[]): WriterResult {
  if (statement.reader) return { rows: statement.all(parameters) as Record<string, unknown>[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { rows: [], changes, lastInsertRowid: Number(lastInsertRowid) };
}

/**
 * Learns the new keys of a request (triples, see the protocol) before any of its
 * statements runs: one that fails stops the rest, and the main thread counts every key it
 * sent as known all the same.
 */
function learnKeys(wire: readonly unknown[]): void {
  for (let i = 0; i < wire.length; i += 3) {
    if (wire[i] !== UNKEYED && wire[i + 1] !== null) texts.set(wire[i] as number, wire[i + 1] as string);
  }
}

/** Runs the statement at triple `i`, prepared when first run (an earlier statement of the request may create what it names). */
function runAt(wire: readonly unknown[], i: number): WriterResult {
  const key = wire[i] as number;
  let statement = key === UNKEYED ? undefined : keyed.get(key);
  if (!statement) {
    const sql = key === UNKEYED ? (wire[i + 1] as string) : texts.get(key);
    if (sql === undefined) throw new Error(`the SQLite writer does not know statement ${key}`);
    statement = prepare(sql);
    if (key !== UNKEYED) keyed.set(key, statement);
  }
  return run(statement, wire[i + 2] as readonly unknown[]);
}
// A request that cannot be read is a request nobody will answer, and whose is unknown: the
// thread fails instead, and the driver answers everything waiting as unavailable. Anything
// else thrown outside a statement (a bug here) ends the thread the same way.
port.on('messageerror', (error) => {
  throw error;
});

port.on('message', (request: WriterRequest) => {
  if (request.close) {
    // Answered even if closing fails (the driver stops the thread next either way).
    try {
      database.close();
    } finally {
      port.postMessage({ id: request.id } satisfies WriterReply);
      port.close();
    }
    return;
  }
  // The triple being run, so a failure names its statement (the driver tells carried writes from the caller's own).
  let i = 0;
  try {
    const wire = request.statements;
    learnKeys(wire);
    if (request.all) {
      const results: WriterResult[] = [];
      for (; i < wire.length; i += 3) results.push(runAt(wire, i));
      port.postMessage({ id: request.id, results } satisfies WriterReply);
      return;
    }
    let result: WriterResult | undefined;
    for (; i < wire.length; i += 3) result = runAt(wire, i);
    port.postMessage({ id: request.id, ...(result ? { result } : {}) } satisfies WriterReply);
  } catch (error) {
    const e = error as Error & { code?: string };
    port.postMessage({ id: request.id, error: { message: e.message, code: e.code, name: e.name, at: i / 3 } } satisfies WriterReply);
  }
});

port.postMessage({ id: 0, ready: true } satisfies WriterReply);
