import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CompiledQuery, Kysely, sql } from 'kysely';
import pg from 'pg';
import { BatchingPostgresDialect, deferWrites, togetherQuery, untilCommit, withNextQuery } from '../src/platform/db/postgres-batch.ts';
import { inlineParameters, toLiteral } from '../src/platform/db/postgres-literal.ts';
import { preparedQuery } from '../src/platform/db/prepared-query.ts';
import type { Executor } from '../src/platform/db/database.ts';
import { postgresBackend, type Store } from './support/backends.ts';
import { hasPostgres, inCi } from './support/services.ts';

/**
 * PostgreSQL's batched statements (issue 21 item 3): parameters written as literals read
 * back exactly as bound parameters, statements nobody waits for travel with the next one in
 * a single round trip, and an error inside a batch reaches the caller who waits and leaves
 * the transaction aborted for its rollback.
 */
/** Hands `record` the text of every query the pool's clients are asked to send: one round trip each. */
function recordQueries(pool: pg.Pool, record: (text: string) => void): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      record(typeof args[0] === 'string' ? args[0] : String(args[0]));
      return query(...args);
    };
  });
}

describe('parameters written into SQL as literals', () => {
  it('replaces placeholders outside strings, identifiers, comments and dollar quotes only', () => {
    const text = `select $1, '$1 it''s', E'\\'$2', "col$1", $q$ $2 $q$, $$ $1 $$ -- $2\n, /* $1 /* $2 */ */ $2, $10`;
    const parameters = ['a', 'b', 3, 4, 5, 6, 7, 8, 9, 'ten'];
    assert.equal(inlineParameters(text, parameters), `select 'a', '$1 it''s', E'\\'$2', "col$1", $q$ $2 $q$, $$ $1 $$ -- $2\n, /* $1 /* $2 */ */ 'b', 'ten'`);
  });

  it('writes null and undefined as NULL and refuses text with a NUL byte', () => {
    assert.equal(toLiteral(null), 'NULL');
    assert.equal(toLiteral(undefined), 'NULL');
    assert.equal(toLiteral('a\u0000b'), null);
    assert.equal(inlineParameters('select $1, $2', ['ok', 'a\u0000b']), null);
  });

  it('refuses a placeholder without a parameter', () => {
    assert.throws(() => inlineParameters('select $1, $2', ['only one']), RangeError);
  });
});

describe('batched statements on PostgreSQL', { skip: !hasPostgres && !inCi && 'PostgreSQL is not reachable' }, () => {
  let store: Store;
  let pool: pg.Pool;
  let db: Kysely<any>;
  /** Queries each pg client was asked to send: one round trip each. */
  let sent: string[] = [];

  before(async () => {
    store = await postgresBackend.create();
    pool = new pg.Pool({ connectionString: store.env.DATABASE_URL, max: 2 });
    recordQueries(pool, (text) => sent.push(text));
    db = new Kysely({ dialect: new BatchingPostgresDialect({ pool }) });
    await sql`create table things (id text primary key, label text, doc jsonb, data bytea, flag boolean, big int8, at timestamptz, tags text[])`.execute(db);
  });

  after(async () => {
    await db?.destroy();
    await store?.dispose();
  });

  beforeEach(async () => {
    await sql`truncate things`.execute(db);
    sent = [];
  });

  const tricky: Array<[string, unknown, string]> = [
    ['quotes', `it's "quoted" ''twice''`, 'text'],
    ['backslashes', 'C:\\path\\to\\n and \\x00 and \\\'', 'text'],
    ['a placeholder inside text', 'cost $1 or $2; select $1', 'text'],
    ['unicode and emoji', 'héllo wörld — 漢字 👋🏽 \u{1F600}', 'text'],
    ['an empty string', '', 'text'],
    ['JSON text', JSON.stringify({ a: "it's", b: [1, '\\'], c: null }), 'jsonb'],
    ['an object (pg serializes it as JSON)', { nested: { quote: "'", dollar: '$1' } }, 'jsonb'],
    ['bytes', Buffer.from([0, 1, 0x27, 0x5c, 0xff]), 'bytea'],
    ['an empty buffer', Buffer.alloc(0), 'bytea'],
    ['true', true, 'boolean'],
    ['false', false, 'boolean'],
    ['a big integer', 9007199254740991, 'int8'],
    ['a bigint', 9223372036854775807n, 'int8'],
    ['a negative number', -42, 'int8'],
    ['a date', new Date(Date.UTC(2026, 11, 5, 16, 30, 1, 234)), 'timestamptz'],
    ['an array with quotes and nulls', ['a', "b'c", 'd"e', null, '\\'], 'text[]'],
    ['null', null, 'text'],
  ];

  for (const [name, value, type] of tricky) {
    it(`reads ${name} back exactly as the bound parameter`, async () => {
      const bound = await pool.query(`select $1::${type} as v`, [value]);
      const literal = inlineParameters(`select $1::${type} as v`, [value]);
      assert.notEqual(literal, null);
      const inlined = await pool.query(literal!);
      assert.deepEqual(inlined.rows, bound.rows);
    });
  }

  it('stores a row of tricky values through a held insert as a bound insert stores it', async () => {
    const row = [`it's $1 \\ 👋`, JSON.stringify({ q: "'" }), Buffer.from([0, 0x27, 0xff]), true, 9007199254740991, new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), ['x', "y'z", null]];
    const insert = (id: string) => db.insertInto('things').values({ id, label: row[0], doc: row[1], data: row[2], flag: row[3], big: row[4], at: row[5], tags: row[6] }).compile();
    await db.executeQuery(insert('bound'));
    await db.transaction().execute(async (trx) => {
      await deferWrites(async () => {
        await trx.executeQuery(insert('held'));
      });
    });
    const { rows } = await pool.query(`select id, label, doc, data, flag, big, at, tags from things order by id`);
    assert.equal(rows.length, 2);
    assert.deepEqual({ ...rows[1], id: 'x' }, { ...rows[0], id: 'x' });
  });

  it('sends BEGIN, held inserts and savepoints with the next awaited statement: one round trip', async () => {
    const result = await db.transaction().execute(async (trx) => {
      await trx.executeQuery(withNextQuery({ sql: 'savepoint work', parameters: [] }));
      return deferWrites(async () => {
        await trx.insertInto('things').values({ id: 'a', label: 'first' }).execute();
        await trx.insertInto('things').values({ id: 'b', label: 'second' }).execute();
        const read = await trx.selectFrom('things').select(['id', 'label']).orderBy('id').execute();
        await trx.executeQuery(withNextQuery({ sql: 'release work', parameters: [] }));
        return read;
      });
    });
    assert.deepEqual(result, [{ id: 'a', label: 'first' }, { id: 'b', label: 'second' }]);
    assert.equal(sent.length, 2, `one query with the read, one with the commit: ${JSON.stringify(sent)}`);
    assert.match(sent[0]!, /^begin;\nsavepoint work;\ninsert into "things".*;\ninsert into "things".*;\nselect/s);
    assert.match(sent[1]!, /^release work;\ncommit$/);
  });

  it('answers statements sent together with each one\'s rows, in one round trip', async () => {
    const [inserted, counted, selected] = await db.transaction().execute(async (trx) => {
      const results = (await trx.executeQuery(togetherQuery([
        db.insertInto('things').values({ id: 'c', label: 'x' }).returning('id').compile(),
        db.selectFrom('things').select((eb) => eb.fn.countAll<string>().as('n')).compile(),
        db.selectFrom('things').select('label').where('id', '=', 'c').compile(),
      ]))).rows as Array<{ rows: unknown[] }>;
      return results.map((result) => result.rows);
    });
    assert.deepEqual(inserted, [{ id: 'c' }]);
    assert.deepEqual(counted, [{ n: '1' }]);
    assert.deepEqual(selected, [{ label: 'x' }]);
    assert.equal(sent.length, 2, 'begin travels with the statements; commit alone');
  });

  it('sends held inserts at the end of deferWrites, so their error rejects it, and the transaction rolls back', async () => {
    await db.insertInto('things').values({ id: 'taken', label: 'first' }).execute();
    sent = [];
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('things').values({ id: 'before', label: 'kept until rollback' }).execute();
        await deferWrites(async () => {
          await trx.insertInto('things').values({ id: 'taken', label: 'duplicate' }).execute();
        });
        assert.fail('deferWrites resolved despite its failed insert');
      }),
      (error: { code?: string }) => error.code === '23505',
    );
    assert.deepEqual(sent.at(-1), 'rollback', 'the aborted transaction is rolled back');
    const ids = (await db.selectFrom('things').select('id').orderBy('id').execute()).map((row) => row.id);
    assert.deepEqual(ids, ['taken']);
  });

  it('rejects the awaited statement when a held one before it fails, leaving the transaction aborted', async () => {
    await db.insertInto('things').values({ id: 'taken', label: 'first' }).execute();
    const trx = await db.startTransaction().execute();
    await trx.executeQuery(withNextQuery(db.insertInto('things').values({ id: 'taken', label: 'again' }).compile()));
    await assert.rejects(trx.selectFrom('things').selectAll().execute(), (error: { code?: string }) => error.code === '23505');
    await assert.rejects(trx.selectFrom('things').selectAll().execute(), (error: { code?: string }) => error.code === '25P02', 'the transaction is aborted');
    await trx.rollback().execute();
    assert.equal((await db.selectFrom('things').select('id').execute()).length, 1);
  });

  it('rejects statements sent together when one of them fails', async () => {
    await assert.rejects(
      db.transaction().execute((trx) =>
        trx.executeQuery(togetherQuery([
          db.insertInto('things').values({ id: 'd', label: 'x' }).compile(),
          db.insertInto('things').values({ id: 'd', label: 'y' }).compile(),
          db.selectFrom('things').selectAll().compile(),
        ]))),
      (error: { code?: string }) => error.code === '23505',
    );
    assert.equal((await db.selectFrom('things').select('id').execute()).length, 0);
  });

  it('drops what a failed deferWrites held, and the savepoint rolls back only its work', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('things').values({ id: 'kept', label: 'x' }).execute();
      await trx.executeQuery(withNextQuery({ sql: 'savepoint work', parameters: [] }));
      await assert.rejects(deferWrites(async () => {
        await trx.insertInto('things').values({ id: 'dropped', label: 'x' }).execute();
        throw new Error('the work changed its mind');
      }), /changed its mind/);
      await trx.executeQuery(withNextQuery({ sql: 'rollback to work', parameters: [] }));
      await trx.executeQuery(withNextQuery({ sql: 'release work', parameters: [] }));
    });
    const ids = (await db.selectFrom('things').select('id').execute()).map((row) => row.id);
    assert.deepEqual(ids, ['kept']);
  });

  it('sends a value with a NUL byte on its own, with its parameters, and gets PostgreSQL\'s own answer', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await deferWrites(async () => {
          await trx.insertInto('things').values({ id: 'nul', label: 'a\u0000b' }).execute();
        });
      }),
      (error: { code?: string }) => error.code === '22021',
    );
    assert.ok(sent.some((text) => text.startsWith('insert into "things"')), 'the insert went with its parameters');
  });

  it('inside untilCommit, sends what deferWrites held with the COMMIT: a transaction of two round trips', async () => {
    const read = await db.transaction().execute((trx) =>
      untilCommit(async () => {
        const [rows] = (await trx.executeQuery(togetherQuery([db.selectFrom('things').select('id').compile()]))).rows as Array<{ rows: unknown[] }>;
        await deferWrites(async () => {
          await trx.insertInto('things').values({ id: 'e', label: 'x' }).execute();
          await trx.insertInto('things').values({ id: 'f', label: 'y' }).execute();
        });
        return rows!.rows;
      }));
    assert.deepEqual(read, []);
    assert.equal(sent.length, 2, JSON.stringify(sent));
    assert.match(sent[1]!, /^insert into "things".*;\ninsert into "things".*;\ncommit$/s);
    assert.deepEqual((await db.selectFrom('things').select('id').orderBy('id').execute()).map((row) => row.id), ['e', 'f']);
  });

  it('inside untilCommit, a held write that fails at the COMMIT fails the transaction, and nothing of it is kept', async () => {
    await db.insertInto('things').values({ id: 'taken', label: 'first' }).execute();
    sent = [];
    await assert.rejects(
      db.transaction().execute((trx) =>
        untilCommit(async () => {
          await trx.insertInto('things').values({ id: 'g', label: 'sent at once' }).execute();
          await deferWrites(async () => {
            await trx.insertInto('things').values({ id: 'taken', label: 'duplicate' }).execute();
          });
        })),
      (error: { code?: string }) => error.code === '23505',
    );
    assert.match(sent.at(-2)!, /^insert into "things".*;\ncommit$/s, 'the held insert went with the COMMIT');
    assert.equal(sent.at(-1), 'rollback');
    assert.deepEqual((await db.selectFrom('things').select('id').execute()).map((row) => row.id), ['taken']);
  });

  it('sends nothing for a transaction that ran no statement', async () => {
    await db.transaction().execute(async () => {});
    const trx = await db.startTransaction().execute();
    await trx.rollback().execute();
    assert.deepEqual(sent, []);
  });

  it('sends a lone statement outside a transaction with its parameters, as before', async () => {
    await db.executeQuery(CompiledQuery.raw('select $1::text as v', ['x']));
    assert.deepEqual(sent, ['select $1::text as v']);
  });
});

/**
 * Statements of fixed shape run as prepared statements on PostgreSQL: sent as text until
 * their connection prepared them (when it went back to the pool), then as `EXECUTE` with
 * the same literals, which PostgreSQL reads exactly as the bound parameters.
 */
describe('prepared statements on PostgreSQL', { skip: !hasPostgres && !inCi && 'PostgreSQL is not reachable' }, () => {
  let store: Store;
  /** Queries each pg client was asked to send: one round trip each. */
  let sent: string[] = [];
  const open: Array<Kysely<any>> = [];

  /** A Kysely on one pooled connection, so every statement meets what that connection prepared. */
  function oneConnection(prepare?: boolean): Kysely<any> {
    const pool = new pg.Pool({ connectionString: store.env.DATABASE_URL, max: 1 });
    recordQueries(pool, (text) => sent.push(text));
    const db = new Kysely<any>({ dialect: new BatchingPostgresDialect({ pool, ...(prepare === undefined ? {} : { prepare }) }) });
    open.push(db);
    return db;
  }

  const preparedOn = async (db: Kysely<any>) =>
    (await sql<{ name: string }>`select name from pg_prepared_statements where name like 'parley\\_%' order by name`.execute(db)).rows.map((row) => row.name);

  before(async () => {
    store = await postgresBackend.create();
    const db = oneConnection();
    await sql`create table notes (id text primary key, label text)`.execute(db);
  });

  after(async () => {
    for (const db of open) await db.destroy();
    await store?.dispose();
  });

  beforeEach(() => {
    sent = [];
  });

  const insertNote = preparedQuery((db: Executor, id: string, label: string) => (db as unknown as Kysely<any>).insertInto('notes').values({ id, label }));
  const noteById = preparedQuery((db: Executor, id: string) => (db as unknown as Kysely<any>).selectFrom('notes').select(['id', 'label']).where('id', '=', id));

  it('sends a shape as text first, prepares it when the connection is released, then executes it by name', async () => {
    const db = oneConnection();
    const write = (id: string, label: string) =>
      db.transaction().execute((trx) =>
        deferWrites(async () => {
          await trx.executeQuery(insertNote('postgres', trx as never, id, label));
          return (await trx.executeQuery(noteById('postgres', trx as never, id))).rows;
        }));
    assert.deepEqual(await write('first', "it's the first"), [{ id: 'first', label: "it's the first" }]);
    assert.match(sent[0]!, /^begin;\ninsert into "notes" .*'it''s the first'.*;\nselect "id", "label" from "notes"/s);
    assert.deepEqual(await write('second', 'then $1 and \\ 👋'), [{ id: 'second', label: 'then $1 and \\ 👋' }]);
    const prepares = sent.filter((text) => text.startsWith('prepare '));
    assert.equal(prepares.length, 2, `each shape prepared once, on its own: ${JSON.stringify(sent)}`);
    const second = sent.findLast((text) => text.startsWith('begin'))!;
    assert.match(second, /^begin;\nexecute parley_\d+\('second', +E'then \$1 and \\\\ 👋'\);\nexecute parley_\d+\('second'\)$/u);
    assert.equal((await preparedOn(db)).length, 2);
    // Outside a transaction too, a prepared shape runs by name.
    sent = [];
    assert.deepEqual((await db.executeQuery(noteById('postgres', db as never, 'first'))).rows, [{ id: 'first', label: "it's the first" }]);
    assert.match(sent[0]!, /^execute parley_\d+\('first'\)$/);
  });

  it('reads every kind of value back through a prepared statement exactly as the bound parameter', async () => {
    const db = oneConnection();
    const values: Array<[unknown, string]> = [
      [`it's "quoted" $1 \\ 👋`, 'text'], [{ nested: { quote: "'" } }, 'jsonb'], [Buffer.from([0, 0x27, 0x5c, 0xff]), 'bytea'], [false, 'boolean'],
      [9007199254740991, 'int8'], [new Date(Date.UTC(2026, 11, 6, 5, 0, 1, 2)), 'timestamptz'], [['a', "b'c", null], 'text[]'], [null, 'text'],
    ];
    for (const [value, type] of values) {
      const cast = preparedQuery((executor: Executor, v: unknown) => (executor as unknown as Kysely<any>).selectNoFrom(sql`${v}::${sql.raw(type)}`.as('v')));
      const bound = (await sql`select ${value}::${sql.raw(type)} as v`.execute(db)).rows;
      const first = (await db.executeQuery(cast('postgres', db as never, value))).rows;
      const byName = (await db.executeQuery(cast('postgres', db as never, value))).rows;
      assert.match(sent.at(-1)!, /^execute parley_\d+\(/, `${type} ran prepared`);
      assert.deepEqual(first, bound, `${type} before it was prepared`);
      assert.deepEqual(byName, bound, `${type} prepared`);
    }
  });

  it('keeps a shape PostgreSQL will not prepare as text on that connection', async () => {
    const db = oneConnection();
    // A bare parameter has no type to infer without its literal (in a transaction it travels with the held BEGIN, as text).
    const untyped = preparedQuery((executor: Executor, v: string) => (executor as unknown as Kysely<any>).selectNoFrom(sql`${v}`.as('v')));
    for (let i = 0; i < 3; i++) {
      const rows = await db.transaction().execute(async (trx) => (await trx.executeQuery(untyped('postgres', trx as never, `try ${i}`))).rows);
      assert.deepEqual(rows, [{ v: `try ${i}` }]);
    }
    assert.equal(sent.filter((text) => text.startsWith('prepare ')).length, 1, 'tried once');
    assert.ok(!sent.some((text) => text.startsWith('execute ')));
  });

  it('prepares nothing with prepare: false (a pooler in transaction mode)', async () => {
    const db = oneConnection(false);
    for (let i = 0; i < 3; i++) await db.executeQuery(noteById('postgres', db as never, 'first'));
    assert.ok(!sent.some((text) => /^(prepare|execute) /.test(text)), JSON.stringify(sent));
    assert.deepEqual(await preparedOn(db), []);
  });

  it('replaces a connection whose prepared statement a migration made unusable', async () => {
    const db = oneConnection();
    await sql`create table drafts (id text primary key)`.execute(db);
    await sql`insert into drafts values ('d')`.execute(db);
    const draft = preparedQuery((executor: Executor, id: string) => (executor as unknown as Kysely<any>).selectFrom('drafts').selectAll().where('id', '=', id));
    await db.executeQuery(draft('postgres', db as never, 'd'));
    assert.deepEqual((await db.executeQuery(draft('postgres', db as never, 'd'))).rows, [{ id: 'd' }]);
    // As another node's migration would: the prepared `select *` no longer matches the table.
    await sql`alter table drafts add column body text`.execute(db);
    await assert.rejects(db.executeQuery(draft('postgres', db as never, 'd')), (error: { code?: string }) => error.code === '0A000');
    assert.deepEqual((await db.executeQuery(draft('postgres', db as never, 'd'))).rows, [{ id: 'd', body: null }], 'a new connection runs it as text');
  });

  it('replaces a connection whose prepared statements were deallocated behind its back', async () => {
    const db = oneConnection();
    await db.executeQuery(noteById('postgres', db as never, 'first'));
    await db.executeQuery(noteById('postgres', db as never, 'first'));
    assert.match(sent.at(-1)!, /^execute parley_\d+\('first'\)$/);
    await sql`deallocate all`.execute(db);
    await assert.rejects(db.executeQuery(noteById('postgres', db as never, 'first')), (error: { code?: string }) => error.code === '26000');
    sent = [];
    await db.executeQuery(noteById('postgres', db as never, 'first'));
    assert.ok(!sent[0]!.startsWith('execute '), `a new connection sends it as text first: ${JSON.stringify(sent)}`);
  });
});
