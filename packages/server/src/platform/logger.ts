import { type DestinationStream, pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout (or `destination`: tests that read the log); one logger per
 * process, children per module. Lines carry ids (request, user, conversation), never message
 * text, tokens, passwords or keys; the paths below are a second line of defence for objects
 * logged whole.
 */
export function createLogger(options: { level: string; nodeId: string; destination?: DestinationStream }): Logger {
  const settings = {
    level: options.level,
    base: { node: options.nodeId },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'token', 'password', 'refreshToken', 'accessToken', '*.token', '*.password', '*.refreshToken', '*.accessToken'], censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
