import Type, { type TSchema } from 'typebox';

/**
 * The kinds of environment variable, as builders for the schema (`env.schema.ts`). Each
 * variable is a TypeBox schema of its *value* — a number with its range, a choice, a token
 * bucket — carrying its documentation and the name of the format that reads it from text.
 * A format reads the text (`read`), writes a value back as text (`write`: the docs' default
 * column) and says in words what it accepts (`expects`): that one phrase is what a start-up
 * error says after "must be" and what the docs' "Accepted" column shows, so they cannot drift.
 */
export type EnvFormatName = 'integer' | 'flag' | 'choice' | 'list' | 'url' | 'text' | 'secret' | 'token-bucket';

/** What every variable states about itself, for the generated tables. */
export interface VariableDoc {
  /** Section of the docs' table; sections appear in the order the schema first names them. */
  group: string;
  /** One line: what the variable does. */
  meaning: string;
  /** What leaving it unset means, for a variable without a fixed default. */
  unset?: string;
  /** Also listed in the README's short table: the variables most deployments set. */
  essential?: boolean;
}

/** The keywords a variable's schema carries besides the JSON Schema ones. */
export interface VariableSchema extends TSchema {
  envFormat: EnvFormatName;
  description: string;
  group: string;
  default?: unknown;
  unset?: string;
  essential?: boolean;
  // Keywords some formats read back: integer range, choices, list items, URL protocols, text wording.
  minimum?: number;
  maximum?: number;
  minLength?: number;
  enum?: string[];
  items?: { enum?: string[] };
  protocols?: string[];
  expected?: string;
}

/** `read`'s answer for text that is not even the right kind of value ("abc" for a number). */
export const UNREADABLE: unique symbol = Symbol('unreadable');

interface EnvFormat {
  read(text: string, schema: VariableSchema): unknown;
  write(value: unknown): string;
  expects(schema: VariableSchema): string;
  /** Whether an error may quote the text back: URLs and secrets can carry credentials. */
  echoes: boolean;
}

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];
const BUCKET_CAPACITY_MAX = 1_000_000;
const BUCKET_REFILL_MAX = 1_000_000;

function readInteger(text: string): number | typeof UNREADABLE {
  return /^-?\d+$/.test(text) ? Number(text) : UNREADABLE;
}

function readFlag(text: string): boolean | typeof UNREADABLE {
  const word = text.toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return UNREADABLE;
}

/** A token bucket as `capacity:refillPerSecond` (e.g. `20:0.5`); `off` or `0` is no limit (null). */
function readTokenBucket(text: string): { capacity: number; refillPerSec: number } | null | typeof UNREADABLE {
  if (text.toLowerCase() === 'off' || text === '0') return null;
  const match = /^(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  return match ? { capacity: Number(match[1]), refillPerSec: Number(match[2]) } : UNREADABLE;
}

function readUrl(text: string, protocols: readonly string[]): string | typeof UNREADABLE {
  try {
    return protocols.includes(new URL(text).protocol) ? text : UNREADABLE;
  } catch {
    return UNREADABLE;
  }
}

const choices = (schema: { enum?: string[] } | undefined): string[] => schema?.enum ?? [];

const FORMATS: Record<EnvFormatName, EnvFormat> = {
  integer: {
    read: readInteger,
    write: String,
    expects: (schema) => `a whole number from ${schema.minimum} to ${schema.maximum}`,
    echoes: true,
  },
  flag: {
    read: readFlag,
    write: String,
    expects: () => 'true or false',
    echoes: true,
  },
  choice: {
    // Case-insensitive, answered with the canonical spelling; anything else is left for the schema to refuse.
    read: (text, schema) => choices(schema).find((choice) => choice.toLowerCase() === text.toLowerCase()) ?? text,
    write: String,
    expects: (schema) => `one of ${choices(schema).join(', ')}`,
    echoes: true,
  },
  list: {
    read: (text) => text.split(',').map((item) => item.trim()).filter(Boolean),
    write: (value) => (value as string[]).join(','),
    expects: (schema) => `a comma-separated list of ${choices(schema.items).join(', ')}`,
    echoes: true,
  },
  url: {
    read: (text, schema) => readUrl(text, schema.protocols ?? []),
    write: String,
    expects: (schema) => `a URL starting with ${(schema.protocols ?? []).map((protocol) => `${protocol}//`).join(' or ')}`,
    echoes: false,
  },
  text: {
    read: (text) => text,
    write: String,
    expects: (schema) => schema.expected ?? 'any text',
    echoes: true,
  },
  secret: {
    read: (text) => text,
    write: () => '…',
    expects: (schema) => `at least ${schema.minLength} characters`,
    echoes: false,
  },
  'token-bucket': {
    read: readTokenBucket,
    write: (value) => {
      const bucket = value as { capacity: number; refillPerSec: number } | null;
      return bucket ? `${bucket.capacity}:${bucket.refillPerSec}` : 'off';
    },
    expects: () => `capacity:refillPerSecond (capacity 1 to ${BUCKET_CAPACITY_MAX}, refill above 0 up to ${BUCKET_REFILL_MAX}) or off`,
    echoes: true,
  },
};

export const formatOf = (schema: VariableSchema): EnvFormat => FORMATS[schema.envFormat];

function options(format: EnvFormatName, doc: VariableDoc) {
  const { meaning, ...rest } = doc;
  return { envFormat: format, description: meaning, ...rest };
}

export function integer(doc: VariableDoc & { default: number; minimum: number; maximum: number }) {
  return Type.Integer(options('integer', doc));
}

/** true/false, also written 1/0, yes/no, on/off. */
export function flag(doc: VariableDoc & { default: boolean }) {
  return Type.Boolean(options('flag', doc));
}

export function choice<const Values extends string[]>(values: readonly [...Values], doc: VariableDoc & { default: Values[number] }) {
  return Type.Enum(values, options('choice', doc));
}

export function list<const Values extends string[]>(values: readonly [...Values], doc: VariableDoc & { default: Values[number][] }) {
  return Type.Array(Type.Enum(values), options('list', doc));
}

/** Unset is allowed (and means what `doc.unset` says); a set value must parse with one of the protocols (`postgres:`). */
export function url(protocols: string[], doc: VariableDoc) {
  return Type.Optional(Type.String({ ...options('url', doc), protocols }));
}

/** Text with a default; `expected` says in words what `pattern` allows. */
export function text(doc: VariableDoc & { default: string; pattern?: string; expected?: string }) {
  return Type.String(options('text', doc));
}

/** Text that may be unset; `expected` says in words what `pattern` allows. */
export function optionalText(doc: VariableDoc & { pattern?: string; expected?: string }) {
  return Type.Optional(Type.String(options('text', doc)));
}

/** A key or password: never quoted back in an error, never shown in the docs. */
export function secret(doc: VariableDoc & { minLength: number }) {
  return Type.Optional(Type.String(options('secret', doc)));
}

export function tokenBucket(doc: VariableDoc & { default: string }) {
  const initial = readTokenBucket(doc.default);
  if (initial === UNREADABLE) throw new Error(`token bucket default "${doc.default}" is not capacity:refillPerSecond`);
  return Type.Union([
    Type.Object({
      capacity: Type.Integer({ minimum: 1, maximum: BUCKET_CAPACITY_MAX }),
      refillPerSec: Type.Number({ exclusiveMinimum: 0, maximum: BUCKET_REFILL_MAX }),
    }),
    Type.Null(),
  ], { ...options('token-bucket', doc), default: initial });
}
