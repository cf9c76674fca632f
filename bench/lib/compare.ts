import { bestSustainable, type StepResult } from './ladder.ts';
import { CONTENDER_NAMES, type Contender } from './references.ts';
import { round, type Report } from './report.ts';

/** Each server's ladder of one run: the references first, Parley last. */
export type LadderRuns = Partial<Record<Contender, StepResult[]>>;

const ORDER: Contender[] = ['relay', 'socketio', 'parley'];
const SHORT: Record<Contender, string> = { relay: 'R', socketio: 'S', parley: 'P' };

function present(runs: LadderRuns): Contender[] {
  return ORDER.filter((name) => runs[name] !== undefined);
}

/** `a / b / c` over the servers that ran, `—` where a server's ladder had stopped. */
function across(runs: LadderRuns, rate: number, value: (step: StepResult) => string | number): string {
  return present(runs)
    .map((name) => {
      const step = runs[name]!.find((candidate) => candidate.rate === rate);
      return step ? String(value(step)) : '—';
    })
    .join(' / ');
}

const ratio = (parley: number | undefined, other: number | undefined) => (parley && other ? `${round(parley / other, 2)}×` : '—');

/**
 * The same-run comparison of a ladder scenario: a summary table (one row per server: its
 * highest sustainable rate, what it delivered there, deliveries per server CPU-second, and
 * Parley ÷ it), one row per offered rate with the servers side by side, and notes.
 * `throughput` is the scenario's headline per step (persisted msgs/s, deliveries/s).
 */
export function ladderComparison(runs: LadderRuns, rates: number[], throughput: { label: string; of: (step: StepResult) => number }): Pick<Report, 'summary' | 'rows' | 'notes'> {
  const names = present(runs);
  const key = names.map((name) => SHORT[name]).join(' / ');
  const best = Object.fromEntries(names.map((name) => [name, bestSustainable(runs[name]!)])) as Partial<Record<Contender, StepResult | null>>;
  const parleyBest = best.parley ?? undefined;
  const summary: NonNullable<Report['summary']> = names.map((name) => {
    const step = best[name] ?? undefined;
    return {
      server: CONTENDER_NAMES[name],
      'highest sustainable msgs/s': step?.rate ?? 'none',
      [throughput.label]: step ? throughput.of(step) : '—',
      'deliveries per server CPU-s': step?.perCpuSecond ?? '—',
      'p50 / p99 ms': step ? `${step.p50} / ${step.p99}` : '—',
      'Parley ÷ it, msgs/s': name === 'parley' ? '' : ratio(parleyBest?.rate, step?.rate),
      'Parley ÷ it, per CPU-s': name === 'parley' ? '' : ratio(parleyBest?.perCpuSecond, step?.perCpuSecond),
    };
  });
  const rows: Report['rows'] = [];
  for (const rate of rates) {
    if (!names.some((name) => runs[name]!.some((step) => step.rate === rate))) continue;
    rows.push({
      'offered msgs/s': rate,
      [`${throughput.label} (${key})`]: across(runs, rate, throughput.of),
      [`p50 ms (${key})`]: across(runs, rate, (step) => step.p50),
      [`p99 ms (${key})`]: across(runs, rate, (step) => step.p99),
      [`deliveries per CPU-s (${key})`]: across(runs, rate, (step) => step.perCpuSecond),
      [`lost (${key})`]: across(runs, rate, (step) => step.lost),
      [`sustainable (${key})`]: across(runs, rate, (step) => (step.sustainable ? 'yes' : 'no')),
    });
  }
  const notes: string[] = [];
  const common = commonRate(runs, names);
  if (common !== null && runs.parley) {
    // Efficiency grows with load, so the like-for-like CPU comparison is at one offered rate:
    // the highest every server ran, sustainable or not (CPU per delivery is still measured).
    const at = (name: Contender) => runs[name]!.find((step) => step.rate === common)!;
    const parley = at('parley');
    const others = names.filter((name) => name !== 'parley').map((name) => `${CONTENDER_NAMES[name]} ${at(name).perCpuSecond}${at(name).sustainable ? '' : ' (not sustainable)'}, Parley ÷ it ${ratio(parley.perCpuSecond, at(name).perCpuSecond)}`);
    if (others.length > 0) notes.push(`Deliveries per server CPU-second at the same offered rate, ${common} msgs/s (the highest all servers ran): Parley ${parley.perCpuSecond}${parley.sustainable ? '' : ' (not sustainable)'}; ${others.join('; ')}.`);
  }
  notes.push(`Columns ${key}: ${names.map((name) => `${SHORT[name]} = ${CONTENDER_NAMES[name]}`).join(', ')}; every server driven by the same load-generator processes in this one invocation, one after the other. "Parley ÷ it" compares each server at its own highest sustainable step; a ladder stops at its first unsustainable step (—).`);
  return { summary, rows, notes };
}

/** The highest offered rate at which every server has a step (a ladder stops at its first unsustainable one). */
function commonRate(runs: LadderRuns, names: Contender[]): number | null {
  const rates = names.map((name) => new Set(runs[name]!.map((step) => step.rate)));
  const shared = [...(rates[0] ?? [])].filter((rate) => rates.every((set) => set.has(rate)));
  return shared.length > 0 ? Math.max(...shared) : null;
}
