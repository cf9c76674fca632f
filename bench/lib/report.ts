import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../../artifacts/bench/', import.meta.url));

export function machine(): string {
  const cores = cpus();
  return `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

export interface Report {
  /** The section's name in docs/benchmarks.md (the CLI scenario plus its size). */
  scenario: string;
  /** The CLI scenario, to print the command that reproduces the run. */
  command: string;
  options: Record<string, unknown>;
  /** Optional table printed first: one row per server of a same-run comparison. */
  summary?: Array<Record<string, string | number | boolean>>;
  /** One row per step (rate, target, …): the columns of the markdown table. */
  rows: Array<Record<string, string | number | boolean>>;
  /** One-line findings printed under the table (ratios, the verdict). */
  notes: string[];
}

/**
 * Every run prints one JSON line (and appends it to artifacts/bench/results.jsonl), and
 * replaces its scenario's section of docs/benchmarks.md with a table of this run, so the
 * document always shows the latest real run of each scenario.
 */
export function publish(report: Report): void {
  const line = JSON.stringify({ at: new Date().toISOString(), machine: machine(), loadavg: loadavg(), ...report });
  process.stdout.write(`${line}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  appendFileSync(`${RESULTS_DIR}results.jsonl`, `${line}\n`);

  const table = [...(report.summary ? [markdownTable(report.summary), ''] : []), markdownTable(report.rows)].join('\n');
  const options = Object.entries(report.options).filter(([key, value]) => value !== '' && key !== 'profile').map(([key, value]) => `--${key} ${String(value)}`).join(' ');
  const section = [
    `<!-- bench:${report.scenario} -->`,
    `### ${report.scenario}`,
    '',
    // The machine is shared: its load when the run ended says how much of the figures is the scheduler's.
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()} (load average ${loadavg().map((value) => value.toFixed(1)).join(' / ')} at the end); \`npm run bench -- ${report.command} ${options}\``,
    '',
    table,
    '',
    ...report.notes.map((note) => `- ${note}`),
    `<!-- /bench:${report.scenario} -->`,
  ].join('\n');
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n\n## Latest runs\n';
  const pattern = new RegExp(`<!-- bench:${report.scenario} -->[\\s\\S]*?<!-- /bench:${report.scenario} -->`);
  writeFileSync(DOC, pattern.test(doc) ? doc.replace(pattern, section) : `${doc.trimEnd()}\n\n${section}\n`);
}

function markdownTable(rows: Array<Record<string, string | number | boolean>>): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((column) => String(row[column] ?? '')).join(' | ')} |`),
  ].join('\n');
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
