import { connectBreadth } from './scenarios/connect-breadth.ts';
import { calls } from './scenarios/calls.ts';
import { connections } from './scenarios/connections.ts';
import { direct } from './scenarios/direct.ts';
import { fanout } from './scenarios/fanout.ts';
import { groupJoins } from './scenarios/group-joins.ts';
import { media } from './scenarios/media.ts';
import { push } from './scenarios/push.ts';
import { search } from './scenarios/search.ts';

/**
 * `npm run bench -- <scenario> [--option value …]`: see docs/benchmarks.md for each
 * scenario's options and what its figures mean. Every scenario starts its own servers
 * on 127.0.0.1, bounds every loop in count and time, and stops by itself.
 */
const scenarios: Record<string, (argv: string[]) => Promise<void>> = {
  connections,
  'connect-breadth': connectBreadth,
  calls,
  direct,
  'group-fanout': (argv) => fanout(argv, 'group'),
  'channel-fanout': (argv) => fanout(argv, 'channel'),
  'group-joins': groupJoins,
  media,
  push,
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
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}${error instanceof Error && error.cause ? `\ncaused by: ${String((error.cause as Error).stack ?? error.cause)}` : ''}\n`);
    process.exit(1);
  },
);
