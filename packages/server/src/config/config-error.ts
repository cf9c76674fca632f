/** One thing wrong with the environment: which variable, and what it must be instead. */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

/**
 * Every problem with the environment, reported together so an operator fixes them in one
 * round instead of one restart per typo. Never carries a secret's or a URL's value.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  /** The first bad variable (for callers that name one). */
  readonly variable: string;

  constructor(problems: readonly ConfigProblem[]) {
    if (problems.length === 0) throw new Error('ConfigError needs at least one problem');
    const lines = problems.map(({ variable, problem }) => `${variable} ${problem}`);
    super(lines.length === 1 ? `Invalid configuration: ${lines[0]}` : `Invalid configuration (${lines.length} problems):\n${lines.map((line) => `  - ${line}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
    this.variable = problems[0]!.variable;
  }

  /** Every bad variable, in the order of the schema. */
  get variables(): string[] {
    return [...new Set(this.problems.map((problem) => problem.variable))];
  }
}
