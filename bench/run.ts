import { connections } from './scenarios/connections.ts';
import { direct } from './scenarios/direct.ts';
import { fanout } from './scenarios/fanout.ts';
import { search } from './scenarios/search.ts';

/**
 * `npm run bench -- <scenario> [--option value …]`: see docs/benchmarks.md for each
 * scenario's options and what its figures mean. Every scenario starts its own servers
 * on 127.0.0.1, bounds every loop in count and time, and stops by itself.
 */
const scenarios: Record<string, (argv: string[]) => Promise<void>> = {
  connections,
  direct,
  'group-fanout': (argv) => fanout(argv, 'group'),
  'channel-fanout': (argv) => fanout(argv, 'channel'),
  search,
};

const [name, ...argv] = process.argv.slice(2);
const scenario = name ? scenarios[name] : undefined;
if (!scenario) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}> [--option value …]\n`);
  process.exit(2);
}
scenario(argv).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
