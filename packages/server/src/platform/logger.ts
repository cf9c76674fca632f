import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; one logger per process, children per module. */
export function createLogger(options: { level: string; nodeId: string }): Logger {
  return pino({
    level: options.level,
    base: { node: options.nodeId },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'token', 'password', 'refreshToken'], censor: '[redacted]' },
  });
}
