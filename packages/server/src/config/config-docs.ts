import { formatOf, type VariableSchema } from './env-formats.ts';
import { envVariables } from './env-reader.ts';

/**
 * The configuration tables of the docs, rendered from the schema. Each file holds its table
 * between `<!-- config-table:start -->` and `<!-- config-table:end -->`; `npm run docs:config`
 * rewrites it there and `config.test.ts` fails while a file differs from what this renders.
 *
 * Where each goes (decided here, once): docs/operations.md gets the full reference — every
 * variable, by section, with its default, what it accepts and what it does — because that is
 * where operators look things up. The README gets only the variables most deployments set
 * (`essential` in the schema) and a pointer to the full table, so it stays short enough to read.
 */
export interface ConfigDoc {
  /** Relative to the repository root. */
  file: string;
  render(): string;
}

export const CONFIG_DOCS: readonly ConfigDoc[] = [
  { file: 'README.md', render: renderEssentialTable },
  { file: 'docs/operations.md', render: renderReference },
];

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';
const GENERATED = '<!-- Generated from packages/server/src/config/env.schema.ts by `npm run docs:config`: edit the schema, not this table. -->';

/** The text between the markers, or null when the file has none. */
export function readConfigSection(markdown: string): string | null {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END, start);
  if (start < 0 || end < 0) return null;
  return markdown.slice(start + START.length, end);
}

/** The file with the text between its markers replaced (throws when they are missing). */
export function replaceConfigSection(markdown: string, section: string): string {
  const current = readConfigSection(markdown);
  if (current === null) throw new Error(`no ${START} … ${END} markers`);
  const start = markdown.indexOf(START) + START.length;
  return markdown.slice(0, start) + section + markdown.slice(start + current.length);
}

/** Every variable, one table per section in the schema's order. */
export function renderReference(): string {
  const groups = new Map<string, Array<[string, VariableSchema]>>();
  for (const [name, schema] of envVariables) groups.set(schema.group, [...(groups.get(schema.group) ?? []), [name, schema]]);
  const sections = [...groups].map(([group, variables]) =>
    [`### ${group}`, '', table(['Variable', 'Default', 'Accepts', 'Meaning'], variables.map(([name, schema]) => [code(name), defaultOf(schema), formatOf(schema).expects(schema), schema.description]))].join('\n'),
  );
  return `\n${GENERATED}\n\n${sections.join('\n\n')}\n\n`;
}

/** The variables most deployments set, and where the rest are. */
export function renderEssentialTable(): string {
  const essential = envVariables.filter(([, schema]) => schema.essential);
  const rows = essential.map(([name, schema]) => [code(name), defaultOf(schema), schema.description]);
  const pointer = `The ${essential.length} variables most deployments set; all ${envVariables.length}, with the values each accepts, are in [docs/operations.md](docs/operations.md#configuration).`;
  return `\n${GENERATED}\n\n${pointer}\n\n${table(['Variable', 'Default', 'Meaning'], rows)}\n\n`;
}

function defaultOf(schema: VariableSchema): string {
  if (schema.default !== undefined) return code(formatOf(schema).write(schema.default));
  return schema.unset ? `unset: ${schema.unset}` : 'unset';
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const code = (text: string): string => `\`${text}\``;
