import type { Compilable, CompiledQuery } from 'kysely';
import type { Dialect, Executor } from './database.ts';
import { addFixedShape } from './fixed-shapes.ts';
import type { DB } from './schema.ts';

/** Where a compiled parameter comes from: the caller's argument at this index, or a value fixed in the query. */
type Slot = number | { fixed: unknown };

interface Shape<Row> {
  compiled: CompiledQuery<Row>;
  slots: Slot[];
}

const MARKER = '\u0000prepared-argument:';

/**
 * A query of fixed shape that is built and compiled by Kysely once per dialect, then only
 * given its values: on the send path, building and compiling each query cost more than
 * running it. The statement itself is prepared once per connection by the driver: by its SQL
 * text on the embedded store, by its shape's number on PostgreSQL (fixed-shapes.ts).
 *
 * `build` receives stand-ins for its arguments the first time and must use each one only
 * as a value (a parameter), never to choose the shape of the query: a branch on an
 * argument would be taken once, for the stand-in. Arguments that would change the shape
 * belong in separate prepared queries. An argument turned into another value inside
 * `build` (stringified, say) is refused when it is compiled.
 */
export function preparedQuery<const Args extends readonly unknown[], Row>(build: (db: Executor, ...args: Args) => Compilable<Row>) {
  const shapes = new Map<Dialect, Shape<Row>>();
  return (dialect: Dialect, db: Executor, ...args: Args): CompiledQuery<Row> => {
    let shape = shapes.get(dialect);
    if (!shape) {
      shape = compileShape(build, db, args.length);
      shapes.set(dialect, shape);
    }
    const parameters = new Array<unknown>(shape.slots.length);
    for (let i = 0; i < parameters.length; i++) {
      const slot = shape.slots[i]!;
      parameters[i] = typeof slot === 'number' ? args[slot] : slot.fixed;
    }
    return { ...shape.compiled, parameters };
  };
}

function compileShape<Args extends readonly unknown[], Row>(build: (db: Executor, ...args: Args) => Compilable<Row>, db: Executor, arity: number): Shape<Row> {
  const markers = Array.from({ length: arity }, (_, i) => `${MARKER}${i}`);
  const compiled = build(db, ...(markers as unknown as Args)).compile();
  if (compiled.sql.includes(MARKER)) throw new Error('preparedQuery: an argument was put into the SQL text instead of a parameter');
  const slots = compiled.parameters.map((parameter): Slot => {
    const index = markers.indexOf(parameter as string);
    if (index >= 0) return index;
    if (typeof parameter === 'string' && parameter.includes(MARKER)) throw new Error('preparedQuery: an argument was used other than as a value');
    return { fixed: parameter };
  });
  addFixedShape(compiled.sql);
  return { compiled, slots };
}

/**
 * `preparedQuery` for inserting one row of a fixed set of columns into `table`: the row's
 * values are read by column name, so a row of the table's type goes in as it is.
 */
export function preparedInsert<T extends keyof DB & string>(table: T, columns: ReadonlyArray<keyof DB[T] & string>) {
  const query = preparedQuery((db: Executor, ...values: unknown[]) => db.insertInto(table).values(Object.fromEntries(columns.map((column, i) => [column, values[i]])) as never));
  return (dialect: Dialect, db: Executor, row: { [C in keyof DB[T]]?: unknown }): CompiledQuery<never> => query(dialect, db, ...columns.map((column) => row[column])) as CompiledQuery<never>;
}
