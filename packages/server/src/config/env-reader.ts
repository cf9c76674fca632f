import { Compile } from 'typebox/compile';
import type { ConfigProblem } from './config-error.ts';
import { formatOf, UNREADABLE, type VariableSchema } from './env-formats.ts';
import { EnvSchema, type EnvName, type EnvValues } from './env.schema.ts';

export type Env = Record<string, string | undefined>;

/** The schema's variables in its order (the order of the docs and of reported problems). */
export const envVariables = Object.entries(EnvSchema.properties) as unknown as Array<[EnvName, VariableSchema]>;

const validate = Compile(EnvSchema);

export interface EnvReading {
  /** Every variable's value (its default when unset); to be trusted only without problems. */
  values: EnvValues;
  /** Variables given a value, as opposed to left at their default. */
  set: ReadonlySet<EnvName>;
  /** Variables whose own value is wrong, in the schema's order. */
  problems: ConfigProblem[];
}

/**
 * Reads every variable of the schema from `env` — and nothing else — and checks them all
 * against it in one pass, so every bad value is found, not just the first. Blank counts as
 * unset: `FOO=` in an env file means "the default", not "empty".
 */
export function readEnv(env: Env): EnvReading {
  const values: Record<string, unknown> = {};
  const set = new Set<EnvName>();
  const invalid = new Set<string>();
  for (const [name, schema] of envVariables) {
    const text = env[name]?.trim();
    if (!text) {
      if (schema.default !== undefined) values[name] = structuredClone(schema.default);
      continue;
    }
    set.add(name);
    const value = formatOf(schema).read(text, schema);
    if (value === UNREADABLE) invalid.add(name);
    else values[name] = value;
  }
  // An unreadable variable is left out of `values`, so the schema may also report it missing
  // (at path ""): it is already counted above.
  for (const error of validate.Errors(values)) invalid.add(error.instancePath.split('/')[1] ?? '');
  const problems = envVariables
    .filter(([name]) => invalid.has(name))
    .map(([name, schema]) => ({ variable: name, problem: describeProblem(schema, env[name]?.trim()) }));
  return { values: values as EnvValues, set, problems };
}

/** "must be <what the format accepts>", quoting the value back unless it may hold a credential. */
function describeProblem(schema: VariableSchema, text: string | undefined): string {
  const format = formatOf(schema);
  const got = text && format.echoes ? `, got "${text}"` : '';
  return `must be ${format.expects(schema)}${got}`;
}
