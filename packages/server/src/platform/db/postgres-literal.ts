import { createRequire } from 'node:module';
import pg from 'pg';

/**
 * pg's own conversion of a parameter to what it sends: text for everything but Buffers
 * (dates, booleans, numbers, arrays and objects serialized exactly as for a bound
 * parameter), null for null and undefined. Not in pg's type declarations, hence the cast.
 */
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(value: unknown): string | Buffer | null };

/**
 * A statement's parameters written into its SQL as literals, for a multi-statement
 * simple-protocol query (which cannot carry parameters). pg sends each parameter as text
 * of unknown type (a Buffer as binary, which PostgreSQL reads by the type it infers), so a
 * quoted literal of unknown type `'…'` (escaped with pg's `escapeLiteral`) is read by
 * PostgreSQL exactly as the parameter would be; a Buffer becomes a bytea hex literal, null
 * NULL. Answers null when a value cannot be written as a literal (text with a NUL byte,
 * which PostgreSQL refuses in any text): the caller then sends the statement on its own,
 * with its parameters, and gets PostgreSQL's own answer to it.
 *
 * Placeholders `$n` are replaced only outside quoted strings, quoted identifiers,
 * dollar-quoted strings and comments.
 */
export function inlineParameters(sql: string, parameters: readonly unknown[]): string | null {
  if (parameters.length === 0) return sql;
  const literals = toLiterals(parameters);
  if (literals === null) return null;
  let out = '';
  let from = 0;
  for (const { start, end, index } of placeholders(sql)) {
    const literal = literals[index - 1];
    if (literal === undefined) throw new RangeError(`inlineParameters: $${index} has no parameter (${parameters.length} given)`);
    out += sql.slice(from, start) + literal;
    from = end;
  }
  return out + sql.slice(from);
}

/** Each parameter as a literal (see `toLiteral`); null when one cannot be written. */
export function toLiterals(parameters: readonly unknown[]): string[] | null {
  const literals = new Array<string>(parameters.length);
  for (let i = 0; i < parameters.length; i++) {
    const literal = toLiteral(parameters[i]);
    if (literal === null) return null;
    literals[i] = literal;
  }
  return literals;
}

/** One value as PostgreSQL would read it as a parameter; null when it cannot be written (a NUL byte). */
export function toLiteral(value: unknown): string | null {
  const prepared = prepareValue(value);
  if (prepared === null) return 'NULL';
  if (Buffer.isBuffer(prepared)) return pg.escapeLiteral(`\\x${prepared.toString('hex')}`);
  if (prepared.includes('\u0000')) return null;
  return pg.escapeLiteral(prepared);
}

interface Placeholder {
  start: number;
  end: number;
  /** 1-based, as in `$1`. */
  index: number;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isTagChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_\u0080-\uffff]/.test(c);

/** The `$n` placeholders of `sql` that PostgreSQL would bind, skipping what is quoted or commented. */
function* placeholders(sql: string): Generator<Placeholder> {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") {
      // E'…' strings take backslash escapes; standard strings only doubled quotes.
      const escapes = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !isTagChar(sql[i - 2]);
      i = endOfQuoted(sql, i + 1, "'", escapes);
    } else if (c === '"') {
      i = endOfQuoted(sql, i + 1, '"', false);
    } else if (c === '-' && sql[i + 1] === '-') {
      const newline = sql.indexOf('\n', i + 2);
      i = newline < 0 ? sql.length : newline + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = endOfBlockComment(sql, i + 2);
    } else if (c === '$' && isDigit(sql[i + 1]) && !isTagChar(sql[i - 1])) {
      let end = i + 1;
      while (isDigit(sql[end])) end++;
      yield { start: i, end, index: Number(sql.slice(i + 1, end)) };
      i = end;
    } else if (c === '$' && !isTagChar(sql[i - 1])) {
      // A dollar-quoted string: $$…$$ or $tag$…$tag$ (a tag never starts with a digit).
      let tagEnd = i + 1;
      while (isTagChar(sql[tagEnd]) && !(tagEnd === i + 1 && isDigit(sql[tagEnd]))) tagEnd++;
      if (sql[tagEnd] === '$') {
        const tag = sql.slice(i, tagEnd + 1);
        const close = sql.indexOf(tag, tagEnd + 1);
        i = close < 0 ? sql.length : close + tag.length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
}

/** The index just past the quote that closes a string or identifier opened before `from`. */
function endOfQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return sql.length;
}

/** Block comments nest in PostgreSQL. */
function endOfBlockComment(sql: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < sql.length && depth > 0) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
    } else {
      i++;
    }
  }
  return i;
}
