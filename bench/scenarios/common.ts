/** Where the services are (the same variables the test suites read), and the run's log. */
export function environment(): { postgresUrl: string; redisUrl: string } {
  return {
    postgresUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
